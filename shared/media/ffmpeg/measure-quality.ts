/**
 * Measures the rungs of one encoded chunk against the source chunk they came from, in one ffmpeg
 * process (the segment is decoded once). The reference is exactly what the encoder encoded: the
 * same segment, the same frames picked, deinterlaced and turned upright (chunk-frames.ts).
 * Frames are paired by their index (each side's timestamps rewritten to its frame number), so a
 * time base that differs between the segment and an MP4 cannot pair the wrong ones.
 *
 * Two questions, one option (`reference`):
 *   - `viewed`: what a viewer sees. The rung scaled (bicubic) to the reference size (the source as
 *     displayed, capped at 1920×1080) against the source scaled (bicubic) to that size; what the
 *     manifest reports. Scaling to the size a frame already has passes it through untouched.
 *   - `fidelity`: how well x264 did at the rung's size. The rung against the source scaled down
 *     as the encoder scales it (Lanczos, 4:2:0): the quantity a quality target is for.
 *
 * Every measured frame's score goes to a stats file that is parsed here (ssim: `All`, psnr:
 * `psnr_avg`, libvmaf: its JSON log); the summary is the mean, the worst frame and the count.
 *
 * Subsampling (`sampleEvery` n > 1) measures frames 0, n, 2n, … of each chunk on both sides (the
 * same frames; test/integration/measure-quality.test.ts checks them against ffmpeg's per-frame
 * figures). It is not free of bias: each chunk's frame 0 is an IDR, always picked, and with n
 * dividing the GOP every IDR is. Measured (ffmpeg 5.1, x264 ultrafast, 1 s GOPs) on a generated
 * 6 s 854×480 grainy source in 2 s chunks, the as-viewed SSIM mean moved by about +0.004 (480p)
 * and +0.003 (360p) at n=2, +0.006/+0.005 at n=3, +0.010/+0.005 at n=4 (two runs; the figures vary
 * in the 4th decimal): all over the 0.002 the issue allows. So 1 (every frame) is the default, and QUALITY_SAMPLE_EVERY > 1 trades truth for
 * CPU knowingly; the manifest says which (`quality.sampleEvery`).
 */
import { readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import type { ChunkScore, QualityMetric } from '../../contracts/quality.ts';
import { InternalError } from '../../errors.ts';
import type { Rotation } from '../rotation.ts';
import { chunkFramesFilter, MAX_DIMENSION, rungScaleFilter, segmentInputOptions, type ChunkFrames } from './chunk-frames.ts';
import { METRIC_FILTER } from './detect-quality-metric.ts';
import { checkedPath, integer, outputPath } from './ffmpeg-args.ts';
import { runFfmpeg } from './run-ffmpeg.ts';
import { uprightFilter } from './upright-filter.ts';

export type QualityReference =
  /** The rung scaled (bicubic) to this size, against the source at this size. */
  | { kind: 'viewed'; width: number; height: number }
  /** The rung against the source scaled down to the rung's own size, as the encoder scales. */
  | { kind: 'fidelity' };

export interface MeasuredRung {
  name: string;
  /** As displayed, even (the rung's size in the plan). */
  width: number;
  height: number;
  /** The rung's encoded chunk (MP4). */
  path: string;
}

export interface MeasureQualityOptions extends ChunkFrames {
  /** The chunk's segment, as cutSegment wrote it and the encoder read it. */
  segmentPath: string;
  rotation: Rotation;
  rungs: readonly MeasuredRung[];
  metric: QualityMetric;
  reference: QualityReference;
  /** Measure every n-th frame of the chunk (1: every frame). */
  sampleEvery?: number;
  /** The chunk's frame count: when given, a measurement over any other number of frames is refused. */
  expectedFrames?: number;
  /** Where the stats files go (inside the work directory); they are removed after. */
  workDir: string;
  threads?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface MeasuredQuality {
  /** By rung name. */
  scores: Record<string, ChunkScore>;
  /** The CPU the measuring ffmpeg used, as it reported it. */
  cpuMs: number | undefined;
}

const MOV_INPUT = ['-f', 'mov', '-format_whitelist', 'mov'];
/** An identical frame has infinite PSNR; it counts as this, so a mean stays a number. */
export const PSNR_CAP_DB = 100;

export async function measureQuality(options: MeasureQualityOptions): Promise<MeasuredQuality> {
  const { segmentPath, rotation, rungs, metric, reference, sampleEvery = 1, expectedFrames, workDir, threads = 0, timeoutMs, signal } = options;
  if (rungs.length === 0) return { scores: {}, cpuMs: 0 };
  const statsPaths = rungs.map((_, index) => outputPath(`${checkedPath(workDir)}/quality-${index}.${metric === 'vmaf' ? 'json' : 'log'}`));
  // The stats path sits inside a filter argument: allow only characters that need no escaping there.
  for (const path of statsPaths) if (!/^[A-Za-z0-9/._-]+$/.test(path)) throw new TypeError(`stats path needs escaping: ${path}`);
  try {
    const { cpuMs } = await runFfmpeg({
      task: `measure ${metric}`,
      reportCpu: true,
      inputs: [{ path: segmentPath, options: segmentInputOptions(threads) }, ...rungs.map((rung) => ({ path: rung.path, options: MOV_INPUT }))],
      filterGraph: qualityFilterGraph({ ...options, sampleEvery, statsPaths }),
      outputs: rungs.map((_, index) => ({ path: `${statsPaths[index]}.null`, options: ['-map', `[m${index}]`, '-f', 'null'] })),
      timeoutMs,
      signal,
    });
    const scores: Record<string, ChunkScore> = {};
    for (const [index, rung] of rungs.entries()) {
      const frames = parseFrameScores(metric, await readFile(statsPaths[index]!, 'utf8'));
      const expected = expectedFrames === undefined ? undefined : Math.ceil(expectedFrames / sampleEvery);
      if (frames.length === 0 || (expected !== undefined && frames.length !== expected)) {
        throw new InternalError('ENCODER_FAILED', `measure ${metric}: rung ${rung.name} was measured over ${frames.length} frames, ${expected ?? 'at least 1'} expected`);
      }
      scores[rung.name] = summarizeFrameScores(frames);
    }
    return { scores, cpuMs };
  } finally {
    await Promise.all(statsPaths.map((path) => rm(path, { force: true })));
  }
}

/**
 * [0:v] → the chunk's frames → every n-th → (viewed: upright, bicubic to the reference size) →
 * split → per rung (fidelity: scaled as the encoder scales) against the rung's MP4, every n-th
 * (viewed: bicubic to the reference size), both sides 4:2:0 with square pixels and their frame
 * number as their timestamp.
 */
function qualityFilterGraph(options: MeasureQualityOptions & { sampleEvery: number; statsPaths: readonly string[] }): string {
  const { rotation, rungs, metric, reference, sampleEvery, statsPaths } = options;
  const viewed = reference.kind === 'viewed';
  const sample = sampleEvery > 1 ? [`select='not(mod(n,${integer(sampleEvery, 2, 1000)}))'`] : [];
  const toSquare420 = ['setsar=1', 'format=yuv420p'];
  const toReference = viewed ? [`scale=w=${integer(reference.width, 2, MAX_DIMENSION)}:h=${integer(reference.height, 2, MAX_DIMENSION)}:flags=bicubic`, ...toSquare420] : [];
  const sourceChain = [`${chunkFramesFilter(options)}${viewed ? uprightFilter(rotation) : ''}`, ...sample, ...(viewed ? [...toReference, BY_INDEX] : [])].join(',');
  const branches = rungs.map((_, index) => `[s${index}]`).join('');
  return [
    `[0:v:0]${sourceChain},split=${rungs.length}${branches}`,
    ...rungs.map((rung, index) => {
      const referenceChain = viewed ? 'null' : [rungScaleFilter(rung, rotation), BY_INDEX].join(',');
      const distortedChain = [...sample, ...(viewed ? toReference : toSquare420), BY_INDEX].join(',');
      return `[s${index}]${referenceChain}[r${index}];[${index + 1}:v:0]${distortedChain}[d${index}];[d${index}][r${index}]${metricFilter(metric, statsPaths[index]!)}[m${index}]`;
    }),
  ].join(';');
}

/** A frame's timestamp becomes its number (in seconds): the metric pairs frame n with frame n. */
const BY_INDEX = 'setpts=N/TB';

/** The metric's filter, the distorted input first (libvmaf's order), writing per-frame scores to `statsPath`. */
export function metricFilter(metric: QualityMetric, statsPath: string): string {
  const sync = 'shortest=1';
  switch (metric) {
    case 'vmaf':
      return `${METRIC_FILTER.vmaf}=log_path=${statsPath}:log_fmt=json:${sync}`;
    case 'ssim':
    case 'psnr':
      return `${METRIC_FILTER[metric]}=stats_file=${statsPath}:${sync}`;
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
