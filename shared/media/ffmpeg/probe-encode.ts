/**
 * The probes of target mode's CRF search (Av1an's target-quality probes, for x264). Two steps:
 *
 * 1. extractProbeSample: one decode of the chunk's segment picks a sample of its frames (a few
 *    short windows spread through the chunk: a shot's start, middle and end each weigh in) and
 *    writes them, per rung, scaled exactly as encodeChunk scales (Lanczos, square pixels, 4:2:0,
 *    upright), as lossless Y4M. That is each rung's reference: the source at the rung's size.
 * 2. probeEncode: encodes one rung's sample at one CRF, with the rung's VBV cap and a fast preset,
 *    and scores its fidelity against that reference (scoreFidelity).
 *
 * The sample keeps the chunk's average frame rate, so the VBV cap sees the bits per second the
 * real encode would; each window starts on a forced IDR, as a chunk does.
 */
import { readFile, rm } from 'node:fs/promises';
import { InternalError } from '../../errors.ts';
import type { ChunkScore, QualityMetric } from '../../contracts/quality.ts';
import { X264Preset } from '../../rendition-profile.ts';
import type { Rotation } from '../rotation.ts';
import { CHUNK_CONTAINER, type ChunkRung } from './encode-chunk.ts';
import { checkedPath, decimal, integer, outputPath, seconds } from './ffmpeg-args.ts';
import { deinterlaceFilter } from './deinterlace-filter.ts';
import { INTERMEDIATE_FORMAT } from './intermediate-format.ts';
import { parseFrameScores, summarizeFrameScores } from './measure-quality.ts';
import { runFfmpeg } from './run-ffmpeg.ts';
import { uprightFilter } from './upright-filter.ts';

/** Three windows of eight frames: about a tenth of a 4 s chunk at 60 fps, a fifth at 30. */
export const PROBE_SAMPLE = { windows: 3, framesPerWindow: 8 } as const;

/** Probes run at the job's preset when it is this fast or faster, else at this one: a probe must cost a fraction of the encode. */
const PROBE_PRESETS: readonly X264Preset[] = ['ultrafast', 'superfast', 'veryfast'];
const FALLBACK_PROBE_PRESET: X264Preset = 'veryfast';

const Y4M = { muxer: 'yuv4mpegpipe', extension: 'y4m' } as const;
const MAX_DIMENSION = 8192;
/** As in encodeChunk: timestamps printed to the microsecond. */
const BOUNDARY_TOLERANCE_SECONDS = 1e-4;

/** The frames (0-based within the chunk) a probe encodes: `windows` runs of `framesPerWindow`, spread evenly; every frame of a short chunk. */
export function sampleFrames(chunkFrames: number, { windows, framesPerWindow }: { windows: number; framesPerWindow: number } = PROBE_SAMPLE): number[] {
  if (chunkFrames <= windows * framesPerWindow) return Array.from({ length: chunkFrames }, (_, index) => index);
  const frames: number[] = [];
  for (let window = 0; window < windows; window++) {
    const centre = ((window + 0.5) * chunkFrames) / windows;
    const first = Math.min(chunkFrames - framesPerWindow, Math.max(frames.length > 0 ? frames.at(-1)! + 1 : 0, Math.round(centre - framesPerWindow / 2)));
    for (let frame = first; frame < first + framesPerWindow; frame++) frames.push(frame);
  }
  return frames;
}

export interface ProbeSample {
  /** Per rung name: its reference frames (Y4M at the rung's size). */
  references: Readonly<Record<string, string>>;
  frames: number;
  framesPerWindow: number;
  /** The chunk's average rate: the sample plays at it. */
  frameRate: number;
}

export interface ExtractProbeSampleOptions {
  segmentPath: string;
  startSeconds: number;
  endSeconds?: number;
  /** The chunk's frame count and duration (plan.chunks[i]). */
  chunkFrames: number;
  durationSeconds: number;
  rotation: Rotation;
  deinterlace?: boolean;
  rungs: readonly Pick<ChunkRung, 'name' | 'width' | 'height'>[];
  workDir: string;
  threads?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function extractProbeSample(options: ExtractProbeSampleOptions): Promise<ProbeSample> {
  const { segmentPath, startSeconds, endSeconds, chunkFrames, durationSeconds, rotation, deinterlace = false, rungs, workDir, threads = 0, timeoutMs, signal } = options;
  if (rungs.length === 0) throw new TypeError('a probe sample needs at least one rung');
  const frames = sampleFrames(chunkFrames);
  const frameRate = chunkFrames / durationSeconds;
  const rate = decimal(frameRate, 0.1, 1000);
  const offset = INTERMEDIATE_FORMAT.timestampOffsetSeconds;
  const from = `gte(t,${seconds(startSeconds + offset - BOUNDARY_TOLERANCE_SECONDS)})`;
  const chunk = endSeconds === undefined ? from : `${from}*lt(t,${seconds(endSeconds + offset - BOUNDARY_TOLERANCE_SECONDS)})`;
  const picked = runsOf(frames).map(([first, last]) => `between(n,${integer(first, 0, 10_000_000)},${integer(last, 0, 10_000_000)})`).join('+');
  const turned = rotation === 90 || rotation === 270;
  const references = Object.fromEntries(rungs.map((rung) => [rung.name, outputPath(`${checkedPath(workDir)}/probe-reference-${rung.name}.${Y4M.extension}`)]));
  const threadOptions = threads > 0 ? ['-threads', integer(threads, 1, 256)] : [];
  await runFfmpeg({
    task: 'extract probe sample',
    inputs: [{ path: segmentPath, options: [...threadOptions, '-f', INTERMEDIATE_FORMAT.muxer, '-format_whitelist', INTERMEDIATE_FORMAT.muxer, '-copyts', '-noautorotate'] }],
    filterGraph: [
      // Pick the chunk's frames, then the sample among them (`n` counts the chunk's frames), and lay them end to end at the chunk's rate.
      `[0:v:0]${deinterlaceFilter(deinterlace)}select='${chunk}',select='${picked}',setpts=N/(${rate}*TB),split=${rungs.length}${rungs.map((_, index) => `[s${index}]`).join('')}`,
      ...rungs.map((rung, index) => {
        const width = integer(rung.width, 2, MAX_DIMENSION);
        const height = integer(rung.height, 2, MAX_DIMENSION);
        return `[s${index}]scale=w=${turned ? height : width}:h=${turned ? width : height}:flags=lanczos,setsar=1,format=yuv420p${uprightFilter(rotation)}[r${index}]`;
      }),
    ].join(';'),
    outputs: rungs.map((rung, index) => ({ path: references[rung.name]!, options: ['-map', `[r${index}]`, '-r', rate, '-fps_mode', 'cfr', '-map_metadata', '-1', '-f', Y4M.muxer] })),
    timeoutMs,
    signal,
  });
  return { references, frames: frames.length, framesPerWindow: PROBE_SAMPLE.framesPerWindow, frameRate };
}

export interface ProbeEncodeOptions {
  sample: ProbeSample;
  rung: ChunkRung;
  crf: number;
  /** The job's x264 preset; probes use it when it is fast, else veryfast. */
  preset: string;
  metric: QualityMetric;
  workDir: string;
  threads?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Encodes the rung's sample at `crf` (VBV on) and scores it against the source at the rung's size. */
export async function probeEncode(options: ProbeEncodeOptions): Promise<ChunkScore> {
  const { sample, rung, crf, preset, metric, workDir, threads = 0, timeoutMs, signal } = options;
  const referencePath = sample.references[rung.name];
  if (referencePath === undefined) throw new TypeError(`the probe sample has no reference for rung ${rung.name}`);
  const encodedPath = outputPath(`${checkedPath(workDir)}/probe-${rung.name}-${integer(Math.round(crf * 100), 0, 5100)}.${CHUNK_CONTAINER.extension}`);
  const threadOptions = threads > 0 ? ['-threads', integer(threads, 1, 256)] : [];
  try {
    await runFfmpeg({
      task: 'probe encode',
      inputs: [{ path: referencePath, options: [...threadOptions, '-f', Y4M.muxer, '-format_whitelist', Y4M.muxer] }],
      outputs: [{
        path: encodedPath,
        options: [
          '-map', '0:v:0',
          '-c:v', 'libx264',
          ...threadOptions,
          '-preset', probePreset(preset),
          '-profile:v', 'high',
          '-crf', decimal(crf, 0, 51),
          '-maxrate', `${integer(rung.maxrateKbps, 1, 1_000_000)}k`,
          '-bufsize', `${integer(rung.bufsizeKbps, 1, 2_000_000)}k`,
          '-sc_threshold', '0',
          '-x264-params', 'keyint=infinite:open-gop=0',
          '-forced-idr', '1',
          // Each window starts a GOP, as each chunk does.
          '-force_key_frames', `expr:eq(mod(n,${integer(sample.framesPerWindow, 1, 1000)}),0)`,
          '-map_metadata', '-1',
          '-f', CHUNK_CONTAINER.muxer,
        ],
      }],
      timeoutMs,
      signal,
    });
    return await scoreFidelity({ distortedPath: encodedPath, referencePath, metric, timeoutMs, signal });
  } finally {
    await rm(encodedPath, { force: true });
  }
}

export interface ScoreFidelityOptions {
  /** An encode of the reference's frames, at the reference's size. */
  distortedPath: string;
  /** Y4M, at the rung's size. */
  referencePath: string;
  metric: QualityMetric;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The rung against the source at the rung's size, frame by frame. SSIM through ffmpeg's ssim
 * filter (the `All` figure: luma and chroma weighted by area). Written against this interface
 * until shared/media/ffmpeg/measure-quality.ts (VMAF where libvmaf exists) joins it.
 */
export async function scoreFidelity(options: ScoreFidelityOptions): Promise<ChunkScore> {
  const { distortedPath, referencePath, metric, timeoutMs, signal } = options;
  if (metric !== 'ssim') throw new InternalError('INTERNAL', `probe fidelity in ${metric} needs measure-quality.ts; this build scores SSIM only`);
  // Beside the distorted file: probes running side by side each keep their own.
  const statsPath = outputPath(`${checkedPath(distortedPath)}.ssim.log`);
  // The stats path sits inside a filter argument: allow only characters that need no escaping there.
  if (!/^[A-Za-z0-9/._-]+$/.test(statsPath)) throw new TypeError(`stats path needs escaping: ${statsPath}`);
  try {
    await runFfmpeg({
      task: 'score probe',
      inputs: [
        { path: distortedPath, options: ['-f', 'mov', '-format_whitelist', 'mov'] },
        { path: referencePath, options: ['-f', Y4M.muxer, '-format_whitelist', Y4M.muxer] },
      ],
      filterGraph: `[0:v:0]setsar=1,format=yuv420p[d];[1:v:0]setsar=1,format=yuv420p[r];[d][r]ssim=stats_file=${statsPath}[out]`,
      outputs: [{ path: `${statsPath}.null`, options: ['-map', '[out]', '-f', 'null'] }],
      timeoutMs,
      signal,
    });
    return ssimScore(await readFile(statsPath, 'utf8'));
  } finally {
    await rm(statsPath, { force: true });
  }
}

/** A probe is scored as the chunks are measured (SSIM's All: the planes weighed by their size): one parser. */
export function ssimScore(stats: string): ChunkScore {
  return summarizeFrameScores(parseFrameScores('ssim', stats));
}

function probePreset(preset: string): X264Preset {
  const parsed = X264Preset.parse(preset);
  return PROBE_PRESETS.includes(parsed) ? parsed : FALLBACK_PROBE_PRESET;
}

/** [first, last] runs of consecutive frame numbers: a short select expression. */
function runsOf(frames: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const frame of frames) {
    const last = runs.at(-1);
    if (last && frame === last[1] + 1) last[1] = frame;
    else runs.push([frame, frame]);
  }
  return runs;
}
