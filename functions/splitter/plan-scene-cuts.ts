/**
 * Which detected shot changes get an IDR of their own (plan.sceneCuts). The encoder already
 * forces one on the GOP grid: at the first frame at or after each multiple of gopSeconds from
 * its chunk's start (encode-chunk.ts). A detected cut is kept when:
 *   - it is a frame the plan shows (snapped to the listing's pts; scdet's times are µs-rounded);
 *   - it lies at least minGapSeconds from every grid IDR and after the cut kept before it. A cut
 *     nearer than that is left to the grid: an IDR a few frames from another costs a whole
 *     intra frame for a fraction of a second of cleaner prediction, and a cut on the grid
 *     already has its IDR. The same rule thins a burst (a flash, strobing) to its first change.
 *   - except a cut on a chunk's first frame, which is kept: that frame is an IDR already (it
 *     costs nothing), and the CRF smoothing reads it as the start of a new shot (shotStartsOf).
 * The result is sorted, each frame once, in source seconds.
 */
import type { Chunk } from '../../shared/contracts/work-plan.ts';
import { BOUNDARY_TOLERANCE_SECONDS, chunkContains } from '../../shared/media/ffmpeg/chunk-frames.ts';

type ChunkSpan = Pick<Chunk, 'startSeconds' | 'endSeconds'>;

export interface PlanSceneCutsArgs {
  /** What detectSceneCuts found, source seconds, in any order. */
  detected: readonly number[];
  /** The pts of every frame shown, ascending (the plan's frames). */
  shownSeconds: readonly number[];
  /** The plan's chunks, in order, back to back. */
  chunks: readonly ChunkSpan[];
  gopSeconds: number;
  minGapSeconds: number;
}

/** A detected time this close to a listed pts is that frame: well under half a frame below 500 fps. */
const SNAP_SECONDS = 1e-3;

export function planSceneCuts(args: PlanSceneCutsArgs): number[] {
  const { shownSeconds, chunks, minGapSeconds } = args;
  const first = chunks[0];
  const last = chunks.at(-1);
  if (first === undefined || last === undefined) return [];
  const planned: ChunkSpan = { startSeconds: first.startSeconds, endSeconds: last.endSeconds };
  const grid = gridKeyframes(args);
  const chunkStarts = chunks.slice(1).map((chunk) => chunk.startSeconds);
  const kept: number[] = [];
  for (const time of [...args.detected].sort((a, b) => a - b)) {
    const frame = shownSeconds[nearestIndex(shownSeconds, time)];
    if (frame === undefined || Math.abs(frame - time) > SNAP_SECONDS || !chunkContains(planned, frame)) continue;
    const previous = kept.at(-1);
    if (previous !== undefined && frame - previous < minGapSeconds) continue;
    if (chunkStarts.some((start) => Math.abs(frame - start) <= SNAP_SECONDS)) {
      kept.push(frame);
      continue;
    }
    const nearestGrid = grid[nearestIndex(grid, frame)];
    if (nearestGrid !== undefined && Math.abs(frame - nearestGrid) < minGapSeconds) continue;
    kept.push(frame);
  }
  return kept;
}

/** The frames the encoder's GOP grid makes IDRs, on the source timeline: one walk over the frames. */
function gridKeyframes({ shownSeconds, chunks, gopSeconds }: Pick<PlanSceneCutsArgs, 'shownSeconds' | 'chunks' | 'gopSeconds'>): number[] {
  const keyframes: number[] = [];
  let next = 0;
  for (const chunk of chunks) {
    while (next < shownSeconds.length && shownSeconds[next]! < chunk.startSeconds - BOUNDARY_TOLERANCE_SECONDS) next += 1;
    let interval = -1;
    for (; next < shownSeconds.length && chunkContains(chunk, shownSeconds[next]!); next += 1) {
      const pts = shownSeconds[next]!;
      const current = Math.floor((pts - chunk.startSeconds + BOUNDARY_TOLERANCE_SECONDS) / gopSeconds);
      if (current > interval) keyframes.push(pts);
      interval = current;
    }
  }
  return keyframes;
}

/** The index of the value nearest `time` in an ascending list (-1 when empty). */
function nearestIndex(sorted: readonly number[], time: number): number {
  if (sorted.length === 0) return -1;
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! < time) low = middle + 1;
    else high = middle;
  }
  return low > 0 && time - sorted[low - 1]! <= sorted[low]! - time ? low - 1 : low;
}
