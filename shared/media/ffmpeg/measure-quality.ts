/**
 * Measures the rungs of one encoded chunk against the frames they came from, in one ffmpeg
 * process: each rung's MP4 is decoded once (split in two when both questions are asked), and the
 * source is not decoded at all: the encode wrote its references (quality-references.ts) from its
 * own decode, exactly the frames it encoded, picked, deinterlaced and turned the same way.
 * Frames are paired by their index (each side's timestamps rewritten to its frame number), so a
 * time base that differs between a reference and an MP4 cannot pair the wrong ones.
 *
 * Two questions:
 *   - `viewed`: what a viewer sees. The rung scaled (bicubic) to the reference size (the source as
 *     displayed, capped at 1920×1080) against the source scaled (bicubic) to that size; what the
 *     manifest reports. Scaling to the size a frame already has passes it through untouched.
 *   - `fidelity`: how well x264 did at the rung's size. The rung against its own encoder input
 *     (the source scaled down as the encoder scales it, Lanczos, 4:2:0): what a target is for.
 *
 * Every measured frame's score goes to a stats file that is parsed here (ssim: `All`, psnr:
 * `psnr_avg`, libvmaf: its JSON log); the summary is the mean, the worst frame and the count.
 * The references and the stats files are removed after, measured or not.
 *
 * Subsampling (a reference's `sampleEvery` n > 1) measures frames 0, n, 2n, … of each chunk on
 * both sides (the reference holds only those; the rung's are picked here). It is not free of bias:
 * each chunk's frame 0 is an IDR, always picked, and with n dividing the GOP every IDR is.
 * Measured (ffmpeg 5.1, x264 ultrafast, 1 s GOPs) on a generated 6 s 854×480 grainy source in 2 s
 * chunks, the as-viewed SSIM mean moved by about +0.004 (480p) and +0.003 (360p) at n=2,
 * +0.006/+0.005 at n=3, +0.010/+0.005 at n=4 (two runs; the figures vary in the 4th decimal): all
 * over the 0.002 the issue allows. So 1 (every frame) is the default, and QUALITY_SAMPLE_EVERY > 1
 * (or a chunk whose references would not fit the disk, report-chunk-quality.ts) trades truth
 * for disk or CPU knowingly; the score says which (`sampleEvery`).
 */
import { readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import type { ChunkScore, QualityMetric } from '../../contracts/quality.ts';
import { InternalError } from '../../errors.ts';
import { threadOptions } from './chunk-frames.ts';
import { METRIC_FILTER } from './detect-quality-metric.ts';
import { checkedPath, outputPath } from './ffmpeg-args.ts';
import { REFERENCE_INPUT_OPTIONS, referencePaths, sampleFilter, SQUARE_420, viewedScaleFilter, type FidelityReferences, type ViewedReference } from './quality-references.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface MeasuredRung {
  name: string;
  /** The rung's encoded chunk (MP4). */
  path: string;
}

export interface MeasureQualityOptions {
  rungs: readonly MeasuredRung[];
  /** Every rung as viewed, against this reference, in this metric. */
  viewed?: { reference: ViewedReference; metric: QualityMetric } | undefined;
  /** Every rung against its own encoder input, in this metric. */
  fidelity?: { references: FidelityReferences; metric: QualityMetric } | undefined;
  /** The chunk's frame count: when given, a measurement over any other number of frames is refused. */
  expectedFrames?: number;
  /** Where the stats files go (inside the work directory); they are removed after. */
  workDir: string;
  threads?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface MeasuredQuality {
  /** By rung name; each score's `sampleEvery` is there when it is over 1. */
  viewed?: Record<string, ChunkScore>;
  fidelity?: Record<string, ChunkScore>;
  /** The CPU the measuring ffmpeg used, as it reported it. */
  cpuMs: number | undefined;
}

const MOV_INPUT = ['-f', 'mov', '-format_whitelist', 'mov'];
/** An identical frame has infinite PSNR; it counts as this, so a mean stays a number. */
export const PSNR_CAP_DB = 100;

type Kind = 'viewed' | 'fidelity';
interface Measurement { kind: Kind; metric: QualityMetric; sampleEvery: number; statsPaths: string[] }

export async function measureQuality(options: MeasureQualityOptions): Promise<MeasuredQuality> {
  const { rungs, viewed, fidelity, expectedFrames, workDir, threads = 0, timeoutMs, signal } = options;
  const references = referencePaths({ viewed: viewed?.reference, fidelity: fidelity?.references });
  const statsPath = (kind: Kind, metric: QualityMetric, index: number) => outputPath(`${checkedPath(workDir)}/quality-${kind}-${index}.${metric === 'vmaf' ? 'json' : 'log'}`);
  const measurements: Measurement[] = [
    ...(viewed ? [{ kind: 'viewed' as const, metric: viewed.metric, sampleEvery: viewed.reference.sampleEvery }] : []),
    ...(fidelity ? [{ kind: 'fidelity' as const, metric: fidelity.metric, sampleEvery: fidelity.references.sampleEvery }] : []),
  ].map((measurement) => ({ ...measurement, statsPaths: rungs.map((_, index) => statsPath(measurement.kind, measurement.metric, index)) }));
  const allStats = measurements.flatMap((measurement) => measurement.statsPaths);
  try {
    if (rungs.length === 0 || measurements.length === 0) return { cpuMs: 0 };
    // The stats path sits inside a filter argument: allow only characters that need no escaping there.
    for (const path of allStats) if (!/^[A-Za-z0-9/._-]+$/.test(path)) throw new TypeError(`stats path needs escaping: ${path}`);
    const fidelityPaths = fidelity ? rungs.map((rung) => {
      const path = fidelity.references.paths[rung.name];
      if (path === undefined) throw new TypeError(`no fidelity reference for rung ${rung.name}`);
      return path;
    }) : [];
    const { cpuMs } = await runFfmpeg({
      task: `measure ${measurements.map((measurement) => `${measurement.kind} ${measurement.metric}`).join(', ')}`,
      reportCpu: true,
      inputs: [
        ...rungs.map((rung) => ({ path: rung.path, options: [...threadOptions(threads), ...MOV_INPUT] })),
        ...(viewed ? [{ path: viewed.reference.path, options: REFERENCE_INPUT_OPTIONS }] : []),
        ...fidelityPaths.map((path) => ({ path, options: REFERENCE_INPUT_OPTIONS })),
      ],
      filterGraph: qualityFilterGraph({ rungCount: rungs.length, viewed: viewed?.reference, fidelity: fidelity !== undefined, measurements }),
      outputs: measurements.flatMap((measurement) => measurement.statsPaths.map((path, index) => ({ path: `${path}.null`, options: ['-map', `[m${measurement.kind}${index}]`, '-f', 'null'] }))),
      timeoutMs,
      signal,
    });
    const result: MeasuredQuality = { cpuMs };
    for (const { kind, metric, sampleEvery, statsPaths } of measurements) {
      const scores: Record<string, ChunkScore> = {};
      for (const [index, rung] of rungs.entries()) {
        const frames = parseFrameScores(metric, await readFile(statsPaths[index]!, 'utf8'));
        const expected = expectedFrames === undefined ? undefined : Math.ceil(expectedFrames / sampleEvery);
        if (frames.length === 0 || (expected !== undefined && frames.length !== expected)) {
          throw new InternalError('ENCODER_FAILED', `measure ${kind} ${metric}: rung ${rung.name} was measured over ${frames.length} frames, ${expected ?? 'at least 1'} expected`);
        }
        scores[rung.name] = { ...summarizeFrameScores(frames), ...(sampleEvery > 1 ? { sampleEvery } : {}) };
      }
      result[kind] = scores;
    }
    return result;
  } finally {
    await Promise.all([...allStats, ...references].map((path) => rm(path, { force: true })));
  }
}

/**
 * Per rung i: [i:v] (split in two when both are measured) → every n-th → (viewed: bicubic to the
 * reference size; fidelity: as is) → 4:2:0, square pixels, its frame number as its timestamp →
 * the metric against the reference, whose timestamps become frame numbers too. The viewed
 * reference is split once per rung; each fidelity reference is the rung's own.
 */
function qualityFilterGraph(options: { rungCount: number; viewed: ViewedReference | undefined; fidelity: boolean; measurements: readonly Measurement[] }): string {
  const { rungCount, viewed, fidelity, measurements } = options;
  const rungs = Array.from({ length: rungCount }, (_, index) => index);
  const viewedInput = rungCount;
  const fidelityInput = (index: number) => rungCount + (viewed ? 1 : 0) + index;
  const both = measurements.length === 2;
  const viewedChain = viewed ? [...sampleFilter(viewed.sampleEvery), ...viewedScaleFilter(viewed.width, viewed.height), BY_INDEX].join(',') : '';
  const graph = [
    ...(viewed ? [`[${viewedInput}:v:0]${BY_INDEX},split=${rungCount}${rungs.map((index) => `[rviewed${index}]`).join('')}`] : []),
    ...rungs.flatMap((index) => [
      both ? `[${index}:v:0]split=2[dviewed${index}][dfidelity${index}]` : `[${index}:v:0]null[d${measurements[0]!.kind}${index}]`,
      ...(fidelity ? [`[${fidelityInput(index)}:v:0]${BY_INDEX}[rfidelity${index}]`] : []),
    ]),
    ...measurements.flatMap(({ kind, metric, sampleEvery, statsPaths }) =>
      rungs.map((index) => {
        const distorted = kind === 'viewed' ? viewedChain : [...sampleFilter(sampleEvery), ...SQUARE_420, BY_INDEX].join(',');
        return `[d${kind}${index}]${distorted}[e${kind}${index}];[e${kind}${index}][r${kind}${index}]${metricFilter(metric, statsPaths[index]!)}[m${kind}${index}]`;
      }),
    ),
  ];
  return graph.join(';');
}

/** A frame's timestamp becomes its number (in seconds): the metric pairs frame n with frame n. */
const BY_INDEX = 'setpts=N/TB';

/**
 * The metric's filter, the distorted input first (libvmaf's order), writing per-frame scores to
 * `statsPath`. No `shortest`: the metric runs to the longer input (the shorter one's last frame
 * repeated), so the count of scores checked against the chunk's frames sees a side that has too
 * many as well as one that has too few.
 */
export function metricFilter(metric: QualityMetric, statsPath: string): string {
  switch (metric) {
    case 'vmaf':
      return `${METRIC_FILTER.vmaf}=log_path=${statsPath}:log_fmt=json`;
    case 'ssim':
    case 'psnr':
      return `${METRIC_FILTER[metric]}=stats_file=${statsPath}`;
  }
}

const VmafLog = z.object({ frames: z.array(z.object({ metrics: z.object({ vmaf: z.number() }) })) });

/** Each measured frame's score, in order, from the metric's stats file. */
export function parseFrameScores(metric: QualityMetric, stats: string): number[] {
  switch (metric) {
    case 'vmaf':
      return VmafLog.parse(JSON.parse(stats)).frames.map((frame) => frame.metrics.vmaf);
    case 'ssim':
      // `n:1 Y:0.991 U:0.995 V:0.994 All:0.992 (20.97)`: All weighs the planes by their size.
      return statLines(stats).map((line) => numberAfter(line, 'All:'));
    case 'psnr':
      // `n:1 mse_avg:0.52 … psnr_avg:50.98 …`; `inf` for an identical frame.
      return statLines(stats).map((line) => Math.min(numberAfter(line, 'psnr_avg:'), PSNR_CAP_DB));
  }
}

/** The mean over the frames, the worst frame, the count. */
export function summarizeFrameScores(scores: readonly number[]): ChunkScore {
  if (scores.length === 0) throw new RangeError('no frame was measured');
  return { mean: scores.reduce((sum, score) => sum + score, 0) / scores.length, minFrame: Math.min(...scores), frames: scores.length };
}

function statLines(stats: string): string[] {
  return stats.split('\n').map((line) => line.trim()).filter((line) => line !== '');
}

function numberAfter(line: string, label: string): number {
  const text = new RegExp(`(?:^|\\s)${label}(inf|[0-9.]+)`).exec(line)?.[1];
  if (text === undefined) throw new InternalError('ENCODER_FAILED', `a quality stats line without ${label}: ${JSON.stringify(line.slice(0, 120))}`);
  return text === 'inf' ? Number.POSITIVE_INFINITY : Number(text);
}
