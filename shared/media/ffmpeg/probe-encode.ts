/**
 * The probes of target mode's CRF search (Av1an's target-quality probes, for x264):
 *
 * 1. extractProbeSample: one decode of the chunk's segment picks a sample of its frames (every
 *    n-th, at most 24, as Av1an's probing rate does) and writes them, per rung, scaled exactly as
 *    encodeChunk scales (chunk-frames.ts), as lossless Y4M: each rung's reference, the source at
 *    the rung's size. The decode stops at the last sampled frame (a trim ends the graph, and
 *    ffmpeg stops reading).
 * 2. probeRound: one round of the search, every probe of it in two ffmpeg processes whatever the
 *    number of rungs and CRFs (a process start costs tens of ms of CPU): one encodes each probe's
 *    rung sample at its CRF (the rung's VBV cap, a fast preset), one scores them all in the
 *    target's metric (measure-quality.ts's filter and parser).
 *
 * The sample plays at the chunk's average rate, so the VBV cap sees the bits per frame the real
 * encode would, and it has the chunk's GOPs and cuts: an IDR on the sampled frame that stands for
 * each of the chunk's IDRs (sampleIdrFrames).
 *
 * Why every n-th frame and not short windows (which decode less): at a fixed CRF, x264's quality
 * falls through a GOP (each P and B frame predicts from predicted frames; with noise, the error
 * builds up). Measured on the bench's talking-head title at 480p, CRF 40, 2 s GOPs: about 0.9790
 * on a GOP's first frames, 0.9750 on its last. Three 8-frame windows, each on its own IDR, saw only
 * the top of that slope: 0.9802 probed, 0.9786 for the whole chunk, under a 0.98 target. A sample
 * spread over the whole GOP (every 5th frame) probed 0.9778: at or under the chunk, as a search
 * for "never below the target" needs.
 *
 * Why the IDRs are weighed: a GOP of the sample is n times shorter than the chunk's, so its IDR
 * (which x264 gives a lower QP) is n times the share it has in the chunk. The IDR frames of a probe
 * therefore count at the share IDRs have in the real chunk (chunkIdrFrames), the rest at the rest.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import type { ChunkScore, QualityMetric } from '../../contracts/quality.ts';
import { InternalError } from '../../errors.ts';
import { X264Preset } from '../../rendition-profile.ts';
import type { Rotation } from '../rotation.ts';
import { BOUNDARY_TOLERANCE_SECONDS, chunkFramesFilter, rungScaleFilter, segmentInputOptions, threadOptions } from './chunk-frames.ts';
import { CHUNK_CONTAINER, type ChunkRung } from './encode-chunk.ts';
import { checkedPath, decimal, integer, outputPath } from './ffmpeg-args.ts';
import { metricFilter, parseFrameScores } from './measure-quality.ts';
import { REFERENCE_INPUT_OPTIONS, REFERENCE_MUXER } from './quality-references.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

/** At most this many frames a probe: a fifth of a 4 s chunk at 30 fps, a tenth at 60. */
export const PROBE_SAMPLE = { maxFrames: 24 } as const;

/** Probes run at the job's preset when it is this fast or faster, else at this one: a probe must cost a fraction of the encode. */
const PROBE_PRESETS: readonly X264Preset[] = ['ultrafast', 'superfast', 'veryfast'];
const FALLBACK_PROBE_PRESET: X264Preset = 'veryfast';

const MAX_FRAME = 10_000_000;

/** The frames (0-based within the chunk) a probe encodes: every n-th, at most `maxFrames`; every frame of a short chunk. */
export function sampleFrames(chunkFrames: number, { maxFrames }: { maxFrames: number } = PROBE_SAMPLE): number[] {
  const every = Math.max(1, Math.ceil(chunkFrames / maxFrames));
  return Array.from({ length: Math.ceil(chunkFrames / every) }, (_, index) => index * every);
}

/**
 * The sample's frames (indices into `frames`, the chunk frames sampled) that stand for the
 * chunk's IDRs: for each chunk IDR, the first sampled frame at or after it, where the picture the
 * encoder sees starts anew.
 */
export function sampleIdrFrames(frames: readonly number[], chunkIdrs: readonly number[]): number[] {
  const picked = new Set([0]);
  for (const idr of chunkIdrs) {
    const index = frames.findIndex((frame) => frame >= idr);
    if (index >= 0) picked.add(index);
  }
  return [...picked].sort((a, b) => a - b);
}

/**
 * The chunk's IDRs as encodeChunk forces them (frame numbers within the chunk): the first frame of
 * each GOP (gopSeconds of chunk time) and the first frame at or after each scene cut inside it.
 * Frames are placed at the chunk's average rate: exact for constant-rate sources, close for the rest.
 */
export function chunkIdrFrames({ chunkFrames, durationSeconds, gopSeconds, keyframeSeconds = [] }: { chunkFrames: number; durationSeconds: number; gopSeconds: number; keyframeSeconds?: readonly number[] }): number[] {
  if (!(chunkFrames > 0 && durationSeconds > 0 && gopSeconds > 0)) throw new RangeError(`a chunk of ${chunkFrames} frames in ${durationSeconds} s with ${gopSeconds} s GOPs`);
  const rate = chunkFrames / durationSeconds;
  // A tenth of a millisecond early, as encodeChunk's forced keyframes.
  const frameAt = (time: number) => Math.max(0, Math.ceil((time - BOUNDARY_TOLERANCE_SECONDS) * rate));
  const idrs = new Set<number>();
  for (let grid = 0; grid * gopSeconds < durationSeconds - BOUNDARY_TOLERANCE_SECONDS; grid++) idrs.add(frameAt(grid * gopSeconds));
  for (const cut of keyframeSeconds) idrs.add(frameAt(cut));
  return [...idrs].filter((frame) => frame < chunkFrames).sort((x, y) => x - y);
}

/**
 * A probe's score: the mean with its IDR frames (`idrFrames`, sample indices) counted at
 * `idrShare` of the weight and the other frames at the rest; the worst frame; the count. Without
 * frames of both kinds, the plain mean.
 */
export function weighProbeFrames(scores: readonly number[], { idrFrames, idrShare }: { idrFrames: readonly number[]; idrShare: number }): ChunkScore {
  if (scores.length === 0) throw new RangeError('no frame was scored');
  if (!(idrShare >= 0 && idrShare <= 1)) throw new RangeError(`an IDR share of ${idrShare}`);
  const isIdr = new Set(idrFrames);
  const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const idr = scores.filter((_, index) => isIdr.has(index));
  const rest = scores.filter((_, index) => !isIdr.has(index));
  const weighted = idr.length === 0 || rest.length === 0 ? mean(scores) : idrShare * mean(idr) + (1 - idrShare) * mean(rest);
  return { mean: weighted, minFrame: Math.min(...scores), frames: scores.length };
}

export interface ProbeSample {
  /** Per rung name: its reference frames (Y4M at the rung's size). */
  references: Readonly<Record<string, string>>;
  frames: number;
  /** The sample's frames (0-based in the sample) encoded as IDRs: where the chunk's IDRs fall (sampleIdrFrames). */
  idrFrames: readonly number[];
  /** The chunk's average rate: the sample plays at it. */
  frameRate: number;
  /** The share of the chunk's frames that are IDRs: what a probe's IDR frames weigh. */
  idrShare: number;
}

export interface ExtractProbeSampleOptions {
  segmentPath: string;
  startSeconds: number;
  endSeconds?: number;
  /** The chunk's frame count and duration (plan.chunks[i]). */
  chunkFrames: number;
  durationSeconds: number;
  /** The chunk encode's GOP length and its scene cuts (chunkKeyframeSeconds): where its IDRs fall. */
  gopSeconds: number;
  keyframeSeconds?: readonly number[];
  rotation: Rotation;
  deinterlace?: boolean;
  rungs: readonly Pick<ChunkRung, 'name' | 'width' | 'height'>[];
  workDir: string;
  threads?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ProbeRoundOptions {
  sample: ProbeSample;
  /** This round's probes: a rung (with its VBV cap) at a CRF; a rung may come more than once. */
  probes: readonly Probe[];
  /** The job's x264 preset; probes use it when it is fast, else veryfast. */
  preset: string;
  metric: QualityMetric;
  workDir: string;
  threads?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Probe {
  rung: ChunkRung;
  crf: number;
}

/** A probe's fidelity, and its bitrate at the chunk's frame rate (the file's bytes over the sample's duration). */
export type ProbeScore = ChunkScore & { kbps: number };

/** Decodes the chunk's sample and writes each rung's reference (one ffmpeg process). */
export async function extractProbeSample(options: ExtractProbeSampleOptions): Promise<ProbeSample> {
  return (await extractAndEncode(options, { probes: [], preset: FALLBACK_PROBE_PRESET })).sample;
}

/**
 * A chunk's probes, round by round (the probe task's search): the first round encodes straight
 * from the decode that writes the references, so a chunk's search costs one ffmpeg process fewer
 * (about 75 ms of CPU) and the first round's frames are not read back from disk; every later round
 * encodes from the references. Each round is then scored in one process.
 */
export function probeSearch(options: ExtractProbeSampleOptions & Pick<ProbeRoundOptions, 'preset' | 'metric'>): (probes: readonly Probe[]) => Promise<ProbeScore[]> {
  let sample: ProbeSample | undefined;
  return async (probes) => {
    if (sample) return probeRound({ ...options, sample, probes });
    const extracted = await extractAndEncode(options, { probes, preset: options.preset });
    sample = extracted.sample;
    return scoreProbes({ ...options, sample, probes, encodedPaths: extracted.encodedPaths });
  };
}

/** Encodes each probe's rung sample at its CRF (VBV on) from the references and scores it against them: two ffmpeg processes. */
export async function probeRound(options: ProbeRoundOptions): Promise<ProbeScore[]> {
  const { sample, probes, preset, workDir, threads = 0, timeoutMs, signal } = options;
  if (probes.length === 0) return [];
  const rungNames = [...new Set(probes.map(({ rung }) => rung.name))];
  const referencePaths = rungNames.map((name) => referenceOf(sample, name));
  const encodedPaths = probePaths(workDir, probes);
  try {
    await runFfmpeg({
      task: 'probe encode',
      inputs: referencePaths.map((path) => ({ path, options: [...threadOptions(threads), ...REFERENCE_INPUT_OPTIONS] })),
      outputs: probes.map((probe, index) => ({ path: encodedPaths[index]!, options: probeEncoderOptions({ map: `${rungNames.indexOf(probe.rung.name)}:v:0`, probe, sample, preset, threads }) })),
      timeoutMs,
      signal,
    });
  } catch (error) {
    await removeAll(encodedPaths);
    throw error;
  }
  return scoreProbes({ ...options, encodedPaths });
}

/** One probe at one CRF (a round of one). */
export async function probeEncode(options: Omit<ProbeRoundOptions, 'probes'> & Probe): Promise<ProbeScore> {
  const { rung, crf, ...round } = options;
  return (await probeRound({ ...round, probes: [{ rung, crf }] }))[0]!;
}

/** The sample's decode, writing each rung's reference and encoding `probes` from the same frames. */
async function extractAndEncode(options: ExtractProbeSampleOptions, { probes, preset }: { probes: readonly Probe[]; preset: string }): Promise<{ sample: ProbeSample; encodedPaths: string[] }> {
  const { segmentPath, startSeconds, endSeconds, chunkFrames, durationSeconds, gopSeconds, keyframeSeconds, rotation, deinterlace = false, rungs, workDir, threads = 0, timeoutMs, signal } = options;
  if (rungs.length === 0) throw new TypeError('a probe sample needs at least one rung');
  const frames = sampleFrames(chunkFrames);
  const chunkIdrs = chunkIdrFrames({ chunkFrames, durationSeconds, gopSeconds, ...(keyframeSeconds ? { keyframeSeconds } : {}) });
  const frameRate = chunkFrames / durationSeconds;
  const rate = decimal(frameRate, 0.1, 1000);
  const every = integer(frames.length > 1 ? frames[1]! - frames[0]! : 1, 1, MAX_FRAME);
  const lastFrame = integer(frames.at(-1)!, 0, MAX_FRAME);
  const references = Object.fromEntries(rungs.map((rung) => [rung.name, outputPath(`${checkedPath(workDir)}/probe-reference-${rung.name}.y4m`)]));
  const sample: ProbeSample = { references, frames: frames.length, idrFrames: sampleIdrFrames(frames, chunkIdrs), frameRate, idrShare: chunkIdrs.length / chunkFrames };
  const encodedPaths = probePaths(workDir, probes);
  // Per rung: its reference, then one branch per probe of it.
  const branches = rungs.map((rung) => probes.flatMap((probe, index) => (probe.rung.name === rung.name ? [index] : [])));
  const unknown = probes.find((probe) => !rungs.some((rung) => rung.name === probe.rung.name));
  if (unknown) throw new TypeError(`the probe sample has no rung ${unknown.rung.name}`);
  try {
    await runFfmpeg({
      task: 'extract probe sample',
      inputs: [{ path: segmentPath, options: segmentInputOptions(threads) }],
      filterGraph: [
        // The chunk's frames up to the last sampled one (the trim ends the graph there, so nothing
        // after it is decoded), every n-th of them (`n` counts the chunk's frames), laid end to end
        // at the chunk's rate.
        `[0:v:0]${chunkFramesFilter({ startSeconds, endSeconds, deinterlace })},trim=end_frame=${Number(lastFrame) + 1},select='not(mod(n,${every}))',setpts=N/(${rate}*TB),split=${rungs.length}${rungs.map((_, index) => `[s${index}]`).join('')}`,
        ...rungs.map((rung, index) => `[s${index}]${rungScaleFilter(rung, rotation)},split=${1 + branches[index]!.length}[r${index}]${branches[index]!.map((probe) => `[e${probe}]`).join('')}`),
      ].join(';'),
      outputs: [
        ...rungs.map((rung, index) => ({ path: references[rung.name]!, options: ['-map', `[r${index}]`, '-r', rate, '-fps_mode', 'cfr', '-map_metadata', '-1', '-f', REFERENCE_MUXER] })),
        ...probes.map((probe, index) => ({ path: encodedPaths[index]!, options: probeEncoderOptions({ map: `[e${index}]`, probe, sample, preset, threads }) })),
      ],
      timeoutMs,
      signal,
    });
  } catch (error) {
    await removeAll(encodedPaths);
    throw error;
  }
  return { sample, encodedPaths };
}

/** x264 on one probe: the rung's VBV cap, the chunk's IDRs on the sample's frames, the sample's rate. */
function probeEncoderOptions({ map, probe: { rung, crf }, sample, preset, threads }: { map: string; probe: Probe; sample: ProbeSample; preset: string; threads: number }): string[] {
  return [
    '-map', map,
    '-c:v', 'libx264',
    ...threadOptions(threads),
    '-preset', probePreset(preset),
    '-profile:v', 'high',
    '-crf', decimal(crf, 0, 51),
    '-maxrate', `${integer(rung.maxrateKbps, 1, 1_000_000)}k`,
    '-bufsize', `${integer(rung.bufsizeKbps, 1, 2_000_000)}k`,
    '-sc_threshold', '0',
    '-x264-params', 'keyint=infinite:open-gop=0:stitchable=1',
    '-forced-idr', '1',
    // The chunk's GOPs and cuts, on the sample's frames.
    '-force_key_frames', `expr:${sample.idrFrames.map((frame) => `eq(n,${integer(frame, 0, MAX_FRAME)})`).join('+')}`,
    '-r', decimal(sample.frameRate, 0.1, 1000),
    '-map_metadata', '-1',
    '-f', CHUNK_CONTAINER.muxer,
  ];
}

/** Scores each probe's encode against its rung's reference, in one process, and removes the encodes. */
async function scoreProbes(options: Omit<ProbeRoundOptions, 'preset'> & { encodedPaths: readonly string[] }): Promise<ProbeScore[]> {
  const { sample, probes, metric, encodedPaths, timeoutMs, signal } = options;
  const rungNames = [...new Set(probes.map(({ rung }) => rung.name))];
  const statsPaths = encodedPaths.map((path) => `${path}.${metric === 'vmaf' ? 'json' : 'log'}`);
  try {
    await runFfmpeg({
      task: 'score probes',
      inputs: [
        ...encodedPaths.map((path) => ({ path, options: ['-f', 'mov', '-format_whitelist', 'mov'] })),
        ...rungNames.map((name) => ({ path: referenceOf(sample, name), options: REFERENCE_INPUT_OPTIONS })),
      ],
      filterGraph: probeScoreGraph({ metric, statsPaths, references: probes.map(({ rung }) => rungNames.indexOf(rung.name)), referenceCount: rungNames.length }),
      outputs: statsPaths.map((path, index) => ({ path: `${path}.null`, options: ['-map', `[m${index}]`, '-f', 'null'] })),
      timeoutMs,
      signal,
    });
    const seconds = sample.frames / sample.frameRate;
    return await Promise.all(statsPaths.map(async (path, index) => {
      const scores = parseFrameScores(metric, await readFile(path, 'utf8'));
      if (scores.length !== sample.frames) throw new InternalError('ENCODER_FAILED', `probe ${probes[index]!.rung.name} at CRF ${probes[index]!.crf} scored ${scores.length} frames of ${sample.frames}`);
      const { size } = await stat(encodedPaths[index]!);
      return { ...weighProbeFrames(scores, { idrFrames: sample.idrFrames, idrShare: sample.idrShare }), kbps: (size * 8) / 1000 / seconds };
    }));
  } finally {
    await removeAll([...encodedPaths, ...statsPaths]);
  }
}

function referenceOf(sample: ProbeSample, rungName: string): string {
  const path = sample.references[rungName];
  if (path === undefined) throw new TypeError(`the probe sample has no reference for rung ${rungName}`);
  return path;
}

function probePaths(workDir: string, probes: readonly Probe[]): string[] {
  return probes.map(({ rung, crf }, index) => outputPath(`${checkedPath(workDir)}/probe-${index}-${rung.name}-${integer(Math.round(crf * 100), 0, 5100)}.${CHUNK_CONTAINER.extension}`));
}

async function removeAll(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((path) => rm(path, { force: true })));
}

/**
 * The scoring graph: inputs 0..n-1 are the probes' encodes, then one input per rung reference;
 * probe i is scored against reference `references[i]` (split where several probes share it), the
 * encode first (libvmaf's order), each writing its per-frame scores to `statsPaths[i]`.
 */
export function probeScoreGraph({ metric, statsPaths, references, referenceCount }: { metric: QualityMetric; statsPaths: readonly string[]; references: readonly number[]; referenceCount: number }): string {
  // The stats paths sit inside filter arguments: allow only characters that need no escaping there.
  for (const path of statsPaths) if (!/^[A-Za-z0-9/._-]+$/.test(path)) throw new TypeError(`stats path needs escaping: ${path}`);
  const toSquare420 = 'setsar=1,format=yuv420p';
  const chains: string[] = [];
  for (let reference = 0; reference < referenceCount; reference++) {
    const users = references.flatMap((used, probe) => (used === reference ? [`[r${probe}]`] : []));
    if (users.length > 0) chains.push(`[${integer(statsPaths.length + reference, 0, 1000)}:v:0]${toSquare420},split=${users.length}${users.join('')}`);
  }
  statsPaths.forEach((path, probe) => chains.push(`[${integer(probe, 0, 1000)}:v:0]${toSquare420}[d${probe}];[d${probe}][r${probe}]${metricFilter(metric, path)}[m${probe}]`));
  return chains.join(';');
}

function probePreset(preset: string): X264Preset {
  const parsed = X264Preset.parse(preset);
  return PROBE_PRESETS.includes(parsed) ? parsed : FALLBACK_PROBE_PRESET;
}
