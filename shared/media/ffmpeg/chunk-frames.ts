/**
 * One definition of "the chunk's frames", shared by the encoder (encode-chunk.ts) and by what
 * measures its output (measure-quality.ts): a measurement is only true if its reference is
 * exactly the frames the encoder encoded, picked, deinterlaced, scaled and turned the same way.
 */
import { integer, seconds } from './ffmpeg-args.ts';
import { INTERMEDIATE_FORMAT } from './intermediate-format.ts';
import { deinterlaceFilter } from './deinterlace-filter.ts';
import type { Rotation } from '../rotation.ts';
import { uprightFilter } from './upright-filter.ts';

/**
 * A tenth of a millisecond under each boundary absorbs the rounding of timestamps printed
 * to the microsecond; it assumes frames at least 0.2 ms apart (below 5000 fps).
 */
export const BOUNDARY_TOLERANCE_SECONDS = 1e-4;
export const MAX_DIMENSION = 8192;

export interface ChunkFrames {
  /** The chunk's first frame, on the source timeline. */
  startSeconds: number;
  /** The next chunk's first frame; undefined for the last chunk. */
  endSeconds?: number | undefined;
  /** The source is interlaced: deinterlace every frame, before the chunk's frames are picked. */
  deinterlace?: boolean | undefined;
}

/** The input options a segment written by cutSegment is read with: its own demuxer only, source timestamps kept, no autorotation. */
export function segmentInputOptions(threads = 0): string[] {
  return [...threadOptions(threads), '-f', INTERMEDIATE_FORMAT.muxer, '-format_whitelist', INTERMEDIATE_FORMAT.muxer, '-copyts', '-noautorotate'];
}

/** `-threads n`, or nothing (ffmpeg's own choice) for 0. */
export function threadOptions(threads: number): string[] {
  return threads > 0 ? ['-threads', integer(threads, 1, 256)] : [];
}

/**
 * The chunk's window, defined once and in both languages side by side: a frame at source pts p
 * is the chunk's when start − tolerance ≤ p < end − tolerance. `chunkContains` is the predicate
 * (the splitter's scene cuts, the encoder's keyframes); `chunkWindowExpression` is the same rule
 * as an ffmpeg expression on `t` for the select filter (test/integration/chunk-window.test.ts
 * runs ffmpeg on frames exactly on, just inside and just outside each boundary against it).
 */
export function chunkContains(chunk: Pick<ChunkFrames, 'startSeconds' | 'endSeconds'>, pts: number): boolean {
  return pts >= chunk.startSeconds - BOUNDARY_TOLERANCE_SECONDS && (chunk.endSeconds === undefined || pts < chunk.endSeconds - BOUNDARY_TOLERANCE_SECONDS);
}

/** `chunkContains` on ffmpeg's `t`, for frames whose timestamps sit `offsetSeconds` above the source's (the intermediate's offset). */
export function chunkWindowExpression(chunk: Pick<ChunkFrames, 'startSeconds' | 'endSeconds'>, offsetSeconds: number): string {
  const { startSeconds, endSeconds } = chunk;
  if (endSeconds !== undefined && !(endSeconds > startSeconds)) throw new RangeError(`chunk ends (${endSeconds}) before it starts (${startSeconds})`);
  const from = `gte(t,${seconds(startSeconds + offsetSeconds - BOUNDARY_TOLERANCE_SECONDS)})`;
  return endSeconds === undefined ? from : `${from}*lt(t,${seconds(endSeconds + offsetSeconds - BOUNDARY_TOLERANCE_SECONDS)})`;
}

/**
 * A filter chain (no input or output label) that deinterlaces (interlaced sources), picks the
 * chunk's frames (the chunk's window, shifted by the intermediate's offset) and rebases them to
 * the chunk's first frame. Every value in it is a checked number.
 */
export function chunkFramesFilter({ startSeconds, endSeconds, deinterlace = false }: ChunkFrames): string {
  const select = chunkWindowExpression({ startSeconds, endSeconds }, INTERMEDIATE_FORMAT.timestampOffsetSeconds);
  return `${deinterlaceFilter(deinterlace)}select='${select}',setpts=PTS-STARTPTS`;
}

export interface ScaledSize {
  /** For error messages. */
  name: string;
  /** As displayed (after rotation), even, square pixels. */
  width: number;
  height: number;
}

/**
 * A filter chain that scales a stored frame to a rung's size as the encoder does (Lanczos, square
 * pixels, 4:2:0 8-bit), then turns it upright: the stored orientation is scaled, since turning
 * after scaling moves the fewest pixels.
 */
export function rungScaleFilter(size: ScaledSize, rotation: Rotation): string {
  const width = integer(size.width, 2, MAX_DIMENSION);
  const height = integer(size.height, 2, MAX_DIMENSION);
  if (size.width % 2 !== 0 || size.height % 2 !== 0) throw new RangeError(`rung ${size.name} is ${width}×${height}; 4:2:0 needs even sizes`);
  const [storedWidth, storedHeight] = storedSize(size.width, size.height, rotation);
  return `scale=w=${storedWidth}:h=${storedHeight}:flags=lanczos,setsar=1,format=yuv420p${uprightFilter(rotation)}`;
}

/** A displayed size in the stored orientation (a quarter turn swaps the sides). */
export function storedSize(width: number, height: number, rotation: Rotation): [number, number] {
  return rotation === 90 || rotation === 270 ? [height, width] : [width, height];
}
