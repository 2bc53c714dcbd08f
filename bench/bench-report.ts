/**
 * The benchmark's record and its summary, as data, and the summary as a Markdown table.
 * Pure: the unit test feeds it recorded rounds.
 */
import { LIST_PRICES } from '../shared/job-cost.ts';
import { GOALS, median, modelCost, modelledCriticalPathMs, pairRatios, type CostModel, type InvocationCost } from './bench-stats.ts';
import { formatQualityReport, type QualityCorpusRecord } from './quality-report.ts';

export interface PipelineRound {
  wallMs: number;
  cpuSeconds: number;
  peakRssBytes: number;
  chunks: number;
  /** Wall time in the window during which no pipeline function was running. */
  orchestrationMs: number;
  splitMs: number;
  chunkMs: number[];
  audioMs?: number;
  assembleMs: number;
  invocations: InvocationCost[];
  stateTransitions: number;
  rungBytes: Record<string, number>;
}

export interface SingleRound {
  wallMs: number;
  cpuSeconds: number;
  peakRssBytes: number;
  rungBytes: Record<string, number>;
  /** What else the one command wrote (the pipeline's other outputs): absent in records made before B wrote them. */
  extras?: { hlsBytes: number; hlsSegments: number; stills: number; storyboardSprites: number };
}

export interface RoundRecord {
  round: number;
  order: 'AB' | 'BA';
  a: PipelineRound;
  b: SingleRound;
}

export interface RungQuality {
  rung: string;
  width: number;
  height: number;
  psnrA: number;
  psnrB: number;
}

export interface ImageRecord {
  images: number;
  outputsPerImage: number;
  pipelineImagesPerSecond: number;
  sharpLoopImagesPerSecond: number;
  pipelinePeakRssBytes: number;
  sharpLoopPeakRssBytes: number;
}

export interface BenchMeta {
  startedAt: string;
  cores: number;
  concurrency: number;
  quick: boolean;
  versions: { node: string; ffmpeg: string; sharp: string; libvips: string };
  memoryMiB: Record<string, number>;
}

/** A and B alternated on one source length. */
export interface SourceRecord {
  sourceSeconds: number;
  source: string;
  rounds: RoundRecord[];
  /** Measured on the first round's outputs. */
  quality: RungQuality[];
}

export interface BenchRecord {
  meta: BenchMeta;
  /** One per source length (`--seconds 20,60`): the fixed costs at both ends show against the length. */
  sources: SourceRecord[];
  images?: ImageRecord;
  /** The quality comparison on the generated corpus: fixed ladder vs target mode. */
  corpus?: QualityCorpusRecord;
}

export interface BenchSummary {
  sourceSeconds: number;
  wallA: number;
  wallB: number;
  wallRatios: number[];
  wallRatio: number;
  cpuA: number;
  cpuB: number;
  cpuRatios: number[];
  cpuRatio: number;
  peakRssA: number;
  peakRssB: number;
  chunks: number;
  orchestrationMsPerChunk: number;
  criticalPathMs: number;
  cost: CostModel;
  rungs: Array<RungQuality & { psnrDelta: number; bytesA: number; bytesB: number; sizeRatio: number }>;
  /** A's split + assemble (median): the serial work at both ends, whatever the chunk phase does. */
  endsMs: number;
}

export interface BenchSummaries {
  sources: BenchSummary[];
  imageRatio?: number;
}

export function summarize(record: BenchRecord): BenchSummaries {
  if (record.sources.length === 0) throw new RangeError('no source to summarize');
  return {
    sources: record.sources.map((source) => summarizeSource(source, record.meta.memoryMiB)),
    ...(record.images ? { imageRatio: record.images.pipelineImagesPerSecond / record.images.sharpLoopImagesPerSecond } : {}),
  };
}

function summarizeSource(record: SourceRecord, memoryMiB: Record<string, number>): BenchSummary {
  const { rounds } = record;
  if (rounds.length === 0) throw new RangeError('no rounds to summarize');
  const wallRatios = pairRatios(rounds.map((r) => r.a.wallMs), rounds.map((r) => r.b.wallMs));
  const cpuRatios = pairRatios(rounds.map((r) => r.a.cpuSeconds), rounds.map((r) => r.b.cpuSeconds));
  const costs = rounds.map((r) => modelCost({ invocations: r.a.invocations, memoryMiB, stateTransitions: r.a.stateTransitions, sourceSeconds: record.sourceSeconds }));
  // The round whose cost is the median one (so the cost's parts add up).
  const cost = [...costs].sort((x, y) => x.totalUsd - y.totalUsd)[Math.floor((costs.length - 1) / 2)]!;
  return {
    sourceSeconds: record.sourceSeconds,
    wallA: median(rounds.map((r) => r.a.wallMs)),
    wallB: median(rounds.map((r) => r.b.wallMs)),
    wallRatios,
    wallRatio: median(wallRatios),
    cpuA: median(rounds.map((r) => r.a.cpuSeconds)),
    cpuB: median(rounds.map((r) => r.b.cpuSeconds)),
    cpuRatios,
    cpuRatio: median(cpuRatios),
    peakRssA: median(rounds.map((r) => r.a.peakRssBytes)),
    peakRssB: median(rounds.map((r) => r.b.peakRssBytes)),
    chunks: rounds[0]!.a.chunks,
    orchestrationMsPerChunk: median(rounds.map((r) => r.a.orchestrationMs / r.a.chunks)),
    criticalPathMs: median(rounds.map((r) => modelledCriticalPathMs(r.a))),
    cost,
    rungs: record.quality.map((quality) => {
      const bytesA = median(rounds.map((r) => r.a.rungBytes[quality.rung] ?? Number.NaN));
      const bytesB = median(rounds.map((r) => r.b.rungBytes[quality.rung] ?? Number.NaN));
      return { ...quality, psnrDelta: quality.psnrA - quality.psnrB, bytesA, bytesB, sizeRatio: bytesA / bytesB };
    }),
    endsMs: median(rounds.map((r) => r.a.splitMs + r.a.assembleMs)),
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (value: number) => value.toFixed(3);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const verdict = (met: boolean) => (met ? 'met' : '**missed**');
const percent = (fraction: number) => `${(fraction * 100).toFixed(0)}%`;

export function formatReport(record: BenchRecord, summaries: BenchSummaries = summarize(record)): string {
  const { meta } = record;
  const lines = [
    `# Fanout benchmark: pipeline (A) vs single ffmpeg command (B)`,
    '',
    `${meta.startedAt} · ${meta.cores} cores · worker concurrency ${meta.concurrency}${meta.quick ? ' · --quick' : ''} · source lengths ${record.sources.map((source) => `${source.sourceSeconds} s`).join(', ')}`,
    `Node ${meta.versions.node} · ffmpeg ${meta.versions.ffmpeg} · sharp ${meta.versions.sharp} (libvips ${meta.versions.libvips})`,
    '',
    ...record.sources.flatMap((source, index) => formatSource(record, source, summaries.sources[index]!, index === 0 ? summaries : undefined)),
    ...(record.sources.length > 1 ? formatScaling(summaries.sources) : []),
    ...FOOTNOTES(meta),
    ...(record.corpus ? ['', formatQualityReport(record.corpus)] : []),
    '',
  ];
  return lines.join('\n');
}

/** One source length's tables; the first also carries the image comparison. */
function formatSource(record: BenchRecord, source: SourceRecord, summary: BenchSummary, withImages: BenchSummaries | undefined): string[] {
  const twoCores = record.meta.cores <= 2;
  const extras = source.rounds[0]?.b.extras;
  const images = withImages && record.images && withImages.imageRatio !== undefined ? record.images : undefined;
  return [
    `## ${source.sourceSeconds} s source: ${source.source} · ${source.rounds.length} round(s) · ${summary.chunks} chunks`,
    '',
    `B is one ffmpeg command writing what A writes: ${summary.rungs.length} MP4s, HLS (fMP4${extras ? `, ${extras.hlsSegments} segments` : ''}), poster and thumbnails${extras ? ` (${extras.stills} files)` : ''}, storyboard${extras ? ` (${extras.storyboardSprites} sprite(s) + WebVTT)` : ''}.`,
    '',
    '| measure | A (pipeline) | B (single ffmpeg) | A/B (median of pairs) | pairs | goal | |',
    '|---|---|---|---|---|---|---|',
    `| wall time, upload → manifest | ${seconds(summary.wallA)} | ${seconds(summary.wallB)} | ${ratio(summary.wallRatio)} | ${summary.wallRatios.map(ratio).join(', ')} | ${twoCores ? `≤ ${GOALS.wallRatioTwoCores} (2 cores)` : '< 1.0 (more cores)'} | ${verdict(summary.wallRatio <= (twoCores ? GOALS.wallRatioTwoCores : 1))} |`,
    `| CPU-seconds, whole process tree | ${summary.cpuA.toFixed(1)} | ${summary.cpuB.toFixed(1)} | ${ratio(summary.cpuRatio)} | ${summary.cpuRatios.map(ratio).join(', ')} | ≤ ${GOALS.cpuRatioTwoCores} | ${verdict(summary.cpuRatio <= GOALS.cpuRatioTwoCores)} |`,
    `| peak RSS, process tree | ${mib(summary.peakRssA)} | ${mib(summary.peakRssB)} | ${ratio(summary.peakRssA / summary.peakRssB)} | | | |`,
    `| split + assemble, A's serial ends | ${seconds(summary.endsMs)} (${percent(summary.endsMs / summary.wallA)} of A) | | | | | |`,
    `| orchestration per chunk ¹ | ${summary.orchestrationMsPerChunk.toFixed(0)} ms | | | | ≤ ${GOALS.orchestrationMsPerChunk} ms | ${verdict(summary.orchestrationMsPerChunk <= GOALS.orchestrationMsPerChunk)} |`,
    `| critical path at unlimited concurrency (modelled) ² | ${seconds(summary.criticalPathMs)} | ${seconds(summary.wallB)} (measured) | ${ratio(summary.criticalPathMs / summary.wallB)} | | | |`,
    `| cost per minute of source (modelled) ³ | $${summary.cost.usdPerSourceMinute.toFixed(4)} | | | | ≤ $${GOALS.usdPerSourceMinute} | ${verdict(summary.cost.usdPerSourceMinute <= GOALS.usdPerSourceMinute)} |`,
    ...(images && withImages?.imageRatio !== undefined
      ? [
          `| images per second (${images.images} × ${images.outputsPerImage} outputs) ⁴ | ${images.pipelineImagesPerSecond.toFixed(2)} | ${images.sharpLoopImagesPerSecond.toFixed(2)} (sharp loop) | ${ratio(withImages.imageRatio)} | | ≥ ${GOALS.imageThroughputRatio} | ${verdict(withImages.imageRatio >= GOALS.imageThroughputRatio)} |`,
          `| peak RSS, images | ${mib(images.pipelinePeakRssBytes)} | ${mib(images.sharpLoopPeakRssBytes)} (sharp loop) | ${ratio(images.pipelinePeakRssBytes / images.sharpLoopPeakRssBytes)} | | | |`,
        ]
      : []),
    '',
    '| rung | size | PSNR A | PSNR B | Δ PSNR | bytes A | bytes B | size A/B | goal (Δ ≥ −0.3 dB, size ≤ 1.05) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...summary.rungs.map(
      (rung) =>
        `| ${rung.rung} | ${rung.width}×${rung.height} | ${rung.psnrA.toFixed(2)} | ${rung.psnrB.toFixed(2)} | ${rung.psnrDelta >= 0 ? '+' : ''}${rung.psnrDelta.toFixed(2)} | ${rung.bytesA} | ${rung.bytesB} | ${ratio(rung.sizeRatio)} | ${verdict(rung.psnrDelta >= -GOALS.psnrDeltaDb && rung.sizeRatio <= GOALS.sizeRatio)} |`,
    ),
    '',
  ];
}

/** The lengths side by side: A's ends stay put while B grows with the source. */
function formatScaling(summaries: readonly BenchSummary[]): string[] {
  return [
    '## Against the source length',
    '',
    '| source | A wall | B wall | A/B | A split + assemble | share of A | critical path (modelled) / B |',
    '|---|---|---|---|---|---|---|',
    ...summaries.map((summary) => `| ${summary.sourceSeconds} s | ${seconds(summary.wallA)} | ${seconds(summary.wallB)} | ${ratio(summary.wallRatio)} | ${seconds(summary.endsMs)} | ${percent(summary.endsMs / summary.wallA)} | ${ratio(summary.criticalPathMs / summary.wallB)} |`),
    '',
  ];
}

const FOOTNOTES = (meta: BenchMeta): string[] => [
  '¹ A\'s wall time (PutObject → manifest read) during which no pipeline function (splitter, encoder, image-resize, assembler) was running, from the local host\'s invocation spans, divided by the number of chunks: the trigger, Step Functions transitions, worker dispatch and the manifest poll.',
  '² split + max(slowest chunk, audio) + assemble, from the step timings in the manifest, measured here under contention; what Lambda would see with every chunk on its own function.',
  `³ Lambda arm64 $${LIST_PRICES.lambdaGbSecondUsd}/GB-s + $0.20/1M requests on each invocation's measured duration × its function's memory (${Object.entries(meta.memoryMiB).map(([name, memory]) => `${name} ${memory} MiB`).join(', ')}); Step Functions Standard $0.025/1k transitions; ${LIST_PRICES.region} list prices as of ${LIST_PRICES.asOf} (shared/job-cost.ts). Durations measured on this machine, not on Lambda's CPUs.`,
  '⁴ The pipeline: every image uploaded at once, until the last manifest; the loop: renderImageVariants per width with the same formats, at the same concurrency.',
];
