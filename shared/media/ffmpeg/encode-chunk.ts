/**
 * One chunk in, every rung of the ladder out: the segment is decoded once, the chunk's frames
 * (source pts in [start, end)) are picked, and a split feeds one scaler and one x264 per rung.
 *
 * Timing passes straight through: `-fps_mode passthrough` and the input stream's time base as
 * the encoder's (`-enc_time_base -1`), so a frame keeps its exact source timestamp (rebased to
 * the chunk's first frame) and VFR stays VFR; the frame count equals the source's.
 *
 * x264: CRF capped by VBV (maxrate/bufsize), High profile, 4:2:0 8-bit, `stitchable` headers: without
 * it the PPS's initial QP follows the CRF, and chunks encoded at different CRFs (target mode)
 * could not be joined by stream copy. Closed GOPs of exactly
 * gopSeconds: an IDR is forced at the first frame at or after each multiple of gopSeconds of
 * chunk time, with x264's own keyframe placement switched off (keyint=infinite, scenecut 0, no
 * open GOP), so every rung has its IDRs on the same frames and every HLS segment starts on one.
 * The splitter's shot changes inside the chunk (keyframeSeconds) get an IDR too, on top of the
 * grid: the grid keeps its frames whatever the cuts, so the segments stay where they were.
 *
 * With `references`, the same decode also writes what the chunk's quality is measured against
 * (quality-references.ts), so the measurement never decodes the segment again.
 */
import { access, stat } from 'node:fs/promises';
import { InternalError } from '../../errors.ts';
import { BOUNDARY_TOLERANCE_SECONDS, chunkContains, chunkFramesFilter, MAX_DIMENSION, rungScaleFilter, segmentInputOptions, storedSize, threadOptions as threadsOption } from './chunk-frames.ts';
import { decimal, integer, seconds } from './ffmpeg-args.ts';
import { readMp4Info } from './read-mp4-info.ts';
import { runFfmpeg } from './run-ffmpeg.ts';
import { X264Preset } from '../../rendition-profile.ts';
import type { Rotation } from '../rotation.ts';
import { uprightFilter } from './upright-filter.ts';
import { referenceOutputOptions, sampleFilter, viewedScaleFilter, type QualityReferences } from './quality-references.ts';

/**
 * Encoded chunks are MP4: it keeps the encoder's time base exactly (TS rounds to 90 kHz and
 * adds 1.4 s of mux delay), stores B-frame reordering in edit lists the concat demuxer reads
 * back, and holds the SPS/PPS the assembler compares across chunks.
 */
export const CHUNK_CONTAINER = { muxer: 'mp4', extension: 'mp4', contentType: 'video/mp4' } as const;

export interface ChunkRung {
  name: string;
  /** As displayed (after rotation), even, square pixels. */
  width: number;
  height: number;
  crf: number;
  maxrateKbps: number;
  bufsizeKbps: number;
}

export interface EncodeChunkOptions {
  /** A segment written by cutSegment. */
  segmentPath: string;
  /** The chunk's first frame, on the source timeline. */
  startSeconds: number;
  /** The next chunk's first frame; undefined for the last chunk. */
  endSeconds?: number;
  rotation: Rotation;
  /**
   * The source is interlaced: deinterlace every frame, before the chunk's frames are picked, so
   * that a chunk cut from an earlier keyframe gives its first frame a predecessor to look at. A
   * chunk that starts on a keyframe has none: bwdif falls back to spatial interpolation for that
   * one frame (measured 35.9 dB against a one-pass deinterlace), a small dip at such seams.
   */
  deinterlace?: boolean;
  rungs: readonly ChunkRung[];
  /** Closed GOP length; it must divide the HLS segment length. */
  gopSeconds: number;
  /**
   * More IDRs: the first frame at or after each of these times from the chunk's first frame
   * (the plan's scene cuts inside the chunk), each in [0, 1e6).
   */
  keyframeSeconds?: readonly number[];
  preset: string;
  /** Where each rung goes, by rung name. */
  outputs: Readonly<Record<string, string>>;
  /**
   * The chunk's storyboard tiles, taken from the same decode: these frames (0-based, display
   * order within the chunk), each scaled to a tile (upright, deinterlaced like the rungs), side
   * by side in one PNG at `outputPath`.
   */
  storyboard?: ChunkStoryboard;
  /** The frames the chunk's quality is measured against, written from this decode (quality-references.ts). */
  references?: QualityReferences;
  /**
   * Threads for the decoder and each rung's encoder; 0 or unset lets ffmpeg size them to every
   * core (right for a Lambda sandbox, which has its vCPUs to itself; wrong where several
   * encoders share a machine, as the local host's workers do).
   */
  threads?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ChunkStoryboard {
  /** Increasing, each once: the row holds them in this order. */
  frames: readonly number[];
  /** As displayed (after rotation), even. */
  tileWidth: number;
  tileHeight: number;
  outputPath: string;
}

export interface EncodedRung {
  rung: string;
  frames: number;
  bytes: number;
}

export interface EncodedChunk {
  rungs: EncodedRung[];
  /** The CPU the encoding ffmpeg used (all its threads), as it reported it. */
  cpuMs: number | undefined;
}

export async function encodeChunk(options: EncodeChunkOptions): Promise<EncodedChunk> {
  const { segmentPath, startSeconds, endSeconds, rotation, deinterlace = false, rungs, gopSeconds, keyframeSeconds = [], preset, outputs, threads = 0, timeoutMs, signal } = options;
  const storyboard = options.storyboard?.frames.length ? options.storyboard : undefined;
  const references = options.references ?? {};
  const threadOptions = threadsOption(threads);
  if (rungs.length === 0) throw new TypeError('encodeChunk needs at least one rung');
  if (!X264Preset.safeParse(preset).success) throw new TypeError(`unknown x264 preset ${JSON.stringify(preset)}`);
  if (endSeconds !== undefined && !(endSeconds > startSeconds)) throw new RangeError(`chunk ends (${endSeconds}) before it starts (${startSeconds})`);
  const forceKeyFrames = forcedKeyframes(gopSeconds, keyframeSeconds);
  const outputPaths = rungs.map((rung) => {
    const path = outputs[rung.name];
    if (path === undefined) throw new TypeError(`no output path for rung ${rung.name}`);
    return path;
  });
  const fidelityPaths = references.fidelity ? rungs.map((rung) => {
    const path = references.fidelity!.paths[rung.name];
    if (path === undefined) throw new TypeError(`no fidelity reference path for rung ${rung.name}`);
    return path;
  }) : [];

  const { cpuMs } = await runFfmpeg({
    task: 'encode chunk',
    reportCpu: true,
    inputs: [{ path: segmentPath, options: segmentInputOptions(threads) }],
    filterGraph: chunkFilterGraph({ startSeconds, endSeconds, rotation, deinterlace, rungs, storyboard, references }),
    outputs: [...rungs.map((rung, index) => ({
      path: outputPaths[index]!,
      options: [
        '-map', `[v${index}]`,
        '-c:v', 'libx264',
        ...threadOptions,
        '-preset', preset,
        '-profile:v', 'high',
        '-crf', decimal(rung.crf, 0, 51),
        '-maxrate', `${integer(rung.maxrateKbps, 1, 1_000_000)}k`,
        '-bufsize', `${integer(rung.bufsizeKbps, 1, 2_000_000)}k`,
        '-sc_threshold', '0',
        '-x264-params', 'keyint=infinite:open-gop=0:stitchable=1',
        '-forced-idr', '1',
        '-force_key_frames', forceKeyFrames,
        '-fps_mode', 'passthrough',
        '-enc_time_base', '-1',
        '-map_metadata', '-1',
        '-map_chapters', '-1',
        '-f', CHUNK_CONTAINER.muxer,
      ],
    })),
    ...(storyboard ? [{ path: storyboard.outputPath, options: ['-map', `[${STORYBOARD_LABEL}]`, '-frames:v', '1', '-update', '1', '-map_metadata', '-1', '-c:v', 'png', '-f', 'image2'] }] : []),
    ...(references.viewed ? [{ path: references.viewed.path, options: referenceOutputOptions(VIEWED_LABEL) }] : []),
    ...fidelityPaths.map((path, index) => ({ path, options: referenceOutputOptions(`f${index}`) })),
    ],
    timeoutMs,
    signal,
  });

  if (storyboard) {
    await access(storyboard.outputPath).catch(() => {
      throw new InternalError('ENCODER_FAILED', `encode chunk: no storyboard tiles came out (frames ${storyboard.frames.join(', ')})`);
    });
  }
  const encoded = await Promise.all(
    rungs.map(async (rung, index) => {
      const path = outputPaths[index]!;
      const [{ videoFrames }, { size }] = await Promise.all([readMp4Info(path), stat(path)]);
      if (videoFrames === 0) throw new InternalError('ENCODER_FAILED', `encode chunk: rung ${rung.name} came out without a frame`);
      return { rung: rung.name, frames: videoFrames, bytes: size };
    }),
  );
  return { rungs: encoded, cpuMs };
}

/** The scene cuts (source seconds) among the chunk's frames, as keyframeSeconds: from its first frame. */
export function chunkKeyframeSeconds(sceneCuts: readonly number[], chunk: Pick<EncodeChunkOptions, 'startSeconds' | 'endSeconds'>): number[] {
  return sceneCuts.filter((cut) => chunkContains(chunk, cut)).map((cut) => Math.max(0, cut - chunk.startSeconds));
}

const STORYBOARD_LABEL = 'storyboard';
const VIEWED_LABEL = 'viewed';
/** Cuts a chunk can carry: a 4 s chunk holds at most a handful past the planner's minimum gap. */
const MAX_KEYFRAME_TIMES = 1000;

/**
 * `-force_key_frames` as an expression, evaluated on every frame (t: its time from the chunk's
 * first frame; prev_forced_t: the last forced one's, NaN before any): the first frame; the first
 * frame of each new gopSeconds interval; and for each extra time c, the first frame at or after
 * it (t ≥ c while the last forced frame was before c). The grid term counts intervals rather
 * than forced frames (n_forced), so a cut forced between two grid points leaves the grid alone.
 * Times sit a tenth of a millisecond early, for timestamps rounded to the microsecond.
 */
function forcedKeyframes(gopSeconds: number, keyframeSeconds: readonly number[]): string {
  if (keyframeSeconds.length > MAX_KEYFRAME_TIMES) throw new RangeError(`at most ${MAX_KEYFRAME_TIMES} extra keyframes in a chunk, not ${keyframeSeconds.length}`);
  const gop = decimal(gopSeconds, 0.1, 60);
  const tolerance = decimal(BOUNDARY_TOLERANCE_SECONDS, 0, 1);
  const interval = (time: string) => `floor((${time}+${tolerance})/${gop})`;
  const terms = [
    'isnan(prev_forced_t)',
    `gt(${interval('t')},${interval('prev_forced_t')})`,
    ...keyframeSeconds.map((time) => {
      if (!(time >= 0 && time < 1e6)) throw new RangeError(`not a time within a chunk: ${time}`);
      const at = seconds(Math.max(0, time - BOUNDARY_TOLERANCE_SECONDS));
      return `gte(t,${at})*lt(prev_forced_t,${at})`;
    }),
  ];
  return `expr:gt(${terms.join('+')},0)`;
}

/**
 * [0:v] → the chunk's frames (chunk-frames.ts: deinterlace, pick, rebase) → split → per rung:
 * scale to the stored orientation's size (Lanczos, square pixels, 4:2:0), then turn upright.
 * With a storyboard, one more branch picks its frames by number, scales and turns them the same
 * way, and tiles them in a row. With references, one more branch for the as-viewed reference
 * (every n-th frame, upright, bicubic to its size) and, for fidelity, each rung's scaled frames
 * split once more, one side to x264, the other (every n-th) to its reference. Every value in it
 * is a checked number.
 */
function chunkFilterGraph(options: Pick<EncodeChunkOptions, 'startSeconds' | 'endSeconds' | 'rotation' | 'deinterlace' | 'rungs' | 'storyboard'> & { references: QualityReferences }): string {
  const { startSeconds, endSeconds, rotation, deinterlace = false, rungs, storyboard, references } = options;
  const { viewed, fidelity } = references;
  const branches = [...rungs.map((_, index) => `[s${index}]`), ...(storyboard ? [`[s${STORYBOARD_LABEL}]`] : []), ...(viewed ? [`[s${VIEWED_LABEL}]`] : [])];
  const rungBranch = (rung: ChunkRung, index: number) => {
    const scaled = `[s${index}]${rungScaleFilter(rung, rotation)}`;
    if (!fidelity) return `${scaled}[v${index}]`;
    const sample = sampleFilter(fidelity.sampleEvery);
    return sample.length === 0 ? `${scaled},split=2[v${index}][f${index}]` : `${scaled},split=2[v${index}][t${index}];[t${index}]${sample.join(',')}[f${index}]`;
  };
  return [
    `[0:v:0]${chunkFramesFilter({ startSeconds, endSeconds, deinterlace })},split=${branches.length}${branches.join('')}`,
    ...(storyboard ? [storyboardBranch(storyboard, rotation)] : []),
    // Sampled first: turning and scaling only the frames that are kept picks the same frames.
    ...(viewed ? [`[s${VIEWED_LABEL}]${sampleFilter(viewed.sampleEvery).join(',') || 'null'}${uprightFilter(rotation)},${viewedScaleFilter(viewed.width, viewed.height).join(',')}[${VIEWED_LABEL}]`] : []),
    ...rungs.map(rungBranch),
  ].join(';');
}

/** The storyboard's frames by number (`n` counts the chunk's frames from 0), as tiles in one row. */
function storyboardBranch(storyboard: ChunkStoryboard, rotation: Rotation): string {
  const width = integer(storyboard.tileWidth, 2, MAX_DIMENSION);
  const height = integer(storyboard.tileHeight, 2, MAX_DIMENSION);
  const frames = storyboard.frames.map((frame) => integer(frame, 0, 10_000_000));
  if (storyboard.frames.some((frame, index) => index > 0 && frame <= storyboard.frames[index - 1]!)) throw new RangeError('storyboard frames go in increasing order, each once');
  const [storedWidth, storedHeight] = storedSize(storyboard.tileWidth, storyboard.tileHeight, rotation);
  const picked = frames.map((frame) => `eq(n,${frame})`).join('+');
  return `[s${STORYBOARD_LABEL}]select='${picked}',scale=w=${storedWidth}:h=${storedHeight}:flags=lanczos,setsar=1,format=rgb24${uprightFilter(rotation)},tile=layout=${frames.length}x1[${STORYBOARD_LABEL}]`;
}
