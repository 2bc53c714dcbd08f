/**
 * `npm run bench`: the pipeline end to end on a real MinIO (A) against one ffmpeg command
 * producing the same outputs (B), alternating A and B for several rounds on the same machine,
 * for each source length; then images (pipeline vs a plain sharp loop); then the quality
 * comparison on a generated corpus (fixed ladder vs target mode). Prints a Markdown report,
 * writes it and the raw record (JSON) to --out. A benchmark, run on demand: goals are reported,
 * never asserted.
 */
import type { Manifest } from '../shared/contracts/manifest.ts';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { startLocalStack, type LocalStack } from '../infra/local/local-stack.ts';
import { loadConfig, SplitterEnv } from '../shared/config.ts';
import { RENDITION_PROFILE } from '../shared/rendition-profile.ts';
import { measurePsnr } from '../shared/media/ffmpeg/measure-psnr.ts';
import { executionArnFor } from '../shared/workflow.ts';
import { benchSource, benchSourceName, DEFAULT_BENCH_SOURCE, type BenchSource } from './bench-source.ts';
import { formatReport, summarize, type BenchRecord, type PipelineRound, type RoundRecord, type RungQuality, type SingleRound, type SourceRecord } from './bench-report.ts';
import { uncoveredMs } from './bench-stats.ts';
import { parseBenchOptions, USAGE, type BenchOptions } from './bench-options.ts';
import { startTreeWindow } from './proc-tree.ts';
import { downloadVideoRenditions, runPipelineJob } from './run-pipeline-job.ts';
import { planSingleFfmpeg, runSingleFfmpeg, type EncodeSettings, type SingleFfmpegPlan } from './run-single-ffmpeg.ts';
import { runImageBench } from './run-image-bench.ts';
import { runQualityBench } from './run-quality-bench.ts';

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface RunContext {
  stack: LocalStack;
  sourcePath: string;
  sourceBody: Buffer;
  single: SingleFfmpegPlan;
  runId: string;
}

async function runA(context: RunContext, round: number): Promise<{ result: PipelineRound; outputs: Awaited<ReturnType<typeof downloadVideoRenditions>> }> {
  const { stack } = context;
  const window = startTreeWindow();
  const job = await runPipelineJob(stack, context.sourceBody, `bench/${context.runId}/round-${round}.mp4`);
  await stack.idle();
  const tree = window.stop();
  const spans = stack.invocations().filter((span) => span.startMs >= job.startMs && span.startMs <= job.manifestMs);
  const execution = await stack.sfn.send(new DescribeExecutionCommand({ executionArn: executionArnFor(stack.deployment.stateMachine.arn, job.jobId) }));
  const input = JSON.parse(execution.input ?? '{}') as Record<'chunkTasks' | 'audioTasks' | 'imageTasks', unknown[] | undefined>;
  const { timings } = job.manifest;
  const outputs = await downloadVideoRenditions(stack, job.manifest);
  const audio = timings.steps.find((step) => step.step === 'audio');
  return {
    outputs,
    result: {
      wallMs: job.manifestMs - job.startMs,
      cpuSeconds: tree.cpuSeconds,
      peakRssBytes: tree.peakRssBytes,
      // The execution's input is the upload since the Split state: count the chunks the manifest timed.
      chunks: input.chunkTasks?.length ?? timings.steps.filter((step) => step.step === 'encode').length,
      orchestrationMs: uncoveredMs({ startMs: job.startMs, endMs: job.manifestMs }, spans),
      splitMs: timings.splitMs,
      chunkMs: timings.steps.filter((step) => step.step === 'encode').map((step) => step.ms),
      ...(audio ? { audioMs: audio.ms } : {}),
      assembleMs: timings.assembleMs,
      invocations: spans.map((span) => ({ name: span.name, durationMs: span.endMs - span.startMs })),
      // The pipeline's own count (shared/job-cost.ts, from the states this execution entered: probe Map, retries and all).
      stateTransitions: transitionsOf(job.manifest),
      rungBytes: Object.fromEntries(Object.entries(outputs).map(([rung, output]) => [rung, output.bytes])),
    },
  };
}

function transitionsOf(manifest: Manifest): number {
  const transitions = manifest.cost?.stepFunctions.transitions;
  if (transitions === undefined) throw new Error(`bench job ${manifest.jobId}: its manifest has no cost, so no state transitions`);
  return transitions;
}

/** What the pipeline's splitter plans with: its deployed environment over the config's defaults. */
function encodeSettings(stack: LocalStack): EncodeSettings {
  const splitter = stack.deployment.functions.find((fn) => fn.name === 'splitter');
  const env = loadConfig(SplitterEnv, { STATE_MACHINE_ARN: 'bench', RENDITIONS_BUCKET: 'bench', WORK_BUCKET: 'bench', ...splitter?.environment });
  return { gopSeconds: env.GOP_SECONDS, segmentSeconds: env.SEGMENT_SECONDS, preset: env.X264_PRESET, thumbnails: env.THUMBNAILS, audio: RENDITION_PROFILE.audio };
}

async function runB(context: RunContext, settings: EncodeSettings): Promise<{ result: SingleRound; outputs: Awaited<ReturnType<typeof runSingleFfmpeg>>['outputs']; workDir: string }> {
  const window = startTreeWindow();
  const started = Date.now();
  const { outputs, workDir, extras } = await runSingleFfmpeg(context.single, settings);
  const wallMs = Date.now() - started;
  const tree = window.stop();
  // B is this process and the ffmpeg it starts: MinIO and the idle workers of A are left out.
  const cpuSeconds = tree.cpuSecondsExcluding((sample, rootPid) => !(sample.ppid === rootPid && /^ff(mpeg|probe)$/.test(sample.comm)));
  return { result: { wallMs, cpuSeconds, peakRssBytes: tree.peakRssBytes, rungBytes: Object.fromEntries(Object.entries(outputs).map(([rung, output]) => [rung, output.bytes])), extras }, outputs, workDir };
}

function versions(): BenchRecord['meta']['versions'] {
  const ffmpegLine = execFileSync('ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  return { node: process.versions.node, ffmpeg: /version (\S+)/.exec(ffmpegLine)?.[1] ?? ffmpegLine, sharp: sharp.versions.sharp ?? 'unknown', libvips: sharp.versions.vips };
}

export async function runBench(options: BenchOptions): Promise<BenchRecord> {
  const startedAt = new Date().toISOString();
  const runId = startedAt.replace(/[^0-9]/g, '');
  const stateDir = await mkdtemp(join(tmpdir(), 'fanout-bench-'));
  const stack = await startLocalStack({ stateDir, storage: 'minio', concurrency: options.concurrency });
  let sources: SourceRecord[] = [];
  let images: Awaited<ReturnType<typeof runImageBench>> | undefined;
  const memoryMiB = Object.fromEntries(stack.deployment.functions.map((fn) => [fn.name, fn.memoryMiB]));
  try {
    for (const seconds of options.seconds) sources = [...sources, await runSource(stack, options, { ...DEFAULT_BENCH_SOURCE, seconds }, `${runId}-${seconds}s`)];
    const splitter = stack.deployment.functions.find((fn) => fn.name === 'splitter');
    if (options.images > 0) images = await runImageBench({ stack, images: options.images, concurrency: options.concurrency, maxPixels: Number(splitter?.environment.IMAGE_MAX_PIXELS ?? 100_000_000), label: `${runId}-images` });
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
  // Its own two stacks (fixed, then target), started after this one is gone.
  const corpus =
    options.titles.length > 0
      ? await runQualityBench({
          titles: options.titles,
          size: { width: 2 * Math.round((options.corpusHeight * 16) / 9 / 2), height: options.corpusHeight, fps: 30, seconds: options.corpusSeconds },
          target: options.qualityTarget,
          concurrency: options.concurrency,
          label: `${runId}-corpus`,
          log,
        })
      : undefined;
  return {
    meta: { startedAt, cores: availableParallelism(), concurrency: options.concurrency, quick: options.quick, versions: versions(), memoryMiB },
    sources,
    ...(images ? { images } : {}),
    ...(corpus ? { corpus } : {}),
  };
}

/** A and B alternated on one source length. */
async function runSource(stack: LocalStack, options: BenchOptions, source: BenchSource, runId: string): Promise<SourceRecord> {
  log(`source ${benchSourceName(source)} (generated on first use)`);
  const sourcePath = await benchSource(source);
  const cleanups: string[] = [];
  try {
    const context: RunContext = { stack, sourcePath, sourceBody: await readFile(sourcePath), single: await planSingleFfmpeg(sourcePath), runId };
    const rounds: RoundRecord[] = [];
    let quality: RungQuality[] = [];
    const settings = encodeSettings(stack);
    const rungs = context.single.rungs;
    for (let round = 0; round < options.rounds; round++) {
      // Alternate which goes first, so neither always runs on a warmer (or hotter) machine.
      const order = round % 2 === 0 ? 'AB' : 'BA';
      let a: Awaited<ReturnType<typeof runA>> | undefined;
      let b: Awaited<ReturnType<typeof runB>> | undefined;
      for (const which of order) {
        if (which === 'A') {
          a = await runA(context, round);
          const theirs = Object.entries(a.outputs).map(([rung, output]) => `${rung}:${output.width}x${output.height}`).sort();
          const ours = rungs.map((rung) => `${rung.name}:${rung.width}x${rung.height}`).sort();
          if (theirs.join() !== ours.join()) throw new Error(`B's ladder (${ours.join(', ')}) differs from the pipeline's (${theirs.join(', ')})`);
          log(`${source.seconds} s round ${round + 1} A: ${(a.result.wallMs / 1000).toFixed(1)} s, ${a.result.cpuSeconds.toFixed(1)} CPU-s`);
        } else {
          b = await runB(context, settings);
          cleanups.push(b.workDir);
          log(`${source.seconds} s round ${round + 1} B: ${(b.result.wallMs / 1000).toFixed(1)} s, ${b.result.cpuSeconds.toFixed(1)} CPU-s`);
        }
      }
      rounds.push({ round: round + 1, order, a: a!.result, b: b!.result });
      if (round === 0) {
        log('measuring PSNR of round 1 (A and B against the scaled source)');
        const measure = (outputs: Record<string, { path: string }>, workDir: string) =>
          measurePsnr({ referencePath: sourcePath, candidates: rungs.map((rung) => ({ path: outputs[rung.name]!.path, width: rung.width, height: rung.height })), workDir });
        const [psnrA, psnrB] = [await measure(a!.outputs, b!.workDir), await measure(b!.outputs, b!.workDir)];
        quality = rungs.map((rung, index) => ({ rung: rung.name, width: rung.width, height: rung.height, psnrA: psnrA[index]!, psnrB: psnrB[index]! }));
      }
      for (const output of Object.values(a!.outputs)) await rm(output.path, { force: true });
    }
    return { sourceSeconds: source.seconds, source: `${source.width}×${source.height} ${source.fps} fps H.264 + AAC (${benchSourceName(source)})`, rounds, quality };
  } finally {
    for (const dir of cleanups) await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const record = await runBench(options);
  const report = formatReport(record, summarize(record));
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'bench-report.md'), report);
  await writeFile(join(outDir, 'bench-report.json'), `${JSON.stringify({ ...record, summary: summarize(record) }, null, 2)}\n`);
  process.stdout.write(report);
  log(`wrote ${join(outDir, 'bench-report.md')} and bench-report.json`);
}

if (import.meta.main) await main();
