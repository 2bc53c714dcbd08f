/**
 * Smooths one rung's searched CRFs across chunks, so quality does not pump from chunk to chunk
 * within a shot. A chunk's CRF is never raised (its search found the highest CRF that reaches
 * the target: higher would fall below it); where two neighbours in a shot differ by more than
 * `maxStep`, the higher one comes down:
 *
 *   s[i] = min over j in i's shot of raw[j] + maxStep·|i − j|
 *
 * (the largest sequence under raw whose steps are at most maxStep). A scene cut on a chunk
 * boundary starts a new shot: a jump there is a cut, not a pump. Pure over the whole array; an
 * encode task needs only the chunks of `smoothingWindow` to compute its own entry.
 */

/** A step of 2 CRF between neighbouring chunks is below what a viewer notices at a chunk seam. */
export const MAX_CRF_STEP = 2;

/** A cut this close to a chunk's first frame is on its boundary (timestamps printed to the microsecond). */
const CUT_TOLERANCE_SECONDS = 1e-3;

export interface SmoothCrfsInput {
  /** The searched CRF of each chunk, by chunk index. */
  crfs: readonly number[];
  /** Chunk indices (> 0) that start a new shot. */
  shotStarts: readonly number[];
  maxStep?: number;
}

export function smoothCrfs({ crfs, shotStarts, maxStep = MAX_CRF_STEP }: SmoothCrfsInput): number[] {
  if (!(maxStep >= 0)) throw new RangeError(`maxStep is ${maxStep}`);
  const shot = shotOf(crfs.length, shotStarts);
  return crfs.map((_, index) => smoothedCrf({ crfs, shot, index, maxStep }));
}

/** One chunk's smoothed CRF: what an encode task computes for itself. `crfs` may be sparse outside its window. */
export function smoothedCrfAt({ crfs, shotStarts, index, maxStep = MAX_CRF_STEP }: SmoothCrfsInput & { index: number }): number {
  return smoothedCrf({ crfs, shot: shotOf(crfs.length, shotStarts), index, maxStep });
}

function smoothedCrf({ crfs, shot, index, maxStep }: { crfs: readonly number[]; shot: readonly number[]; index: number; maxStep: number }): number {
  const own = crfs[index];
  if (own === undefined) throw new RangeError(`no CRF for chunk ${index}`);
  let smoothed = own;
  crfs.forEach((crf, other) => {
    if (crf !== undefined && shot[other] === shot[index]) smoothed = Math.min(smoothed, crf + maxStep * Math.abs(index - other));
  });
  return smoothed;
}

/** Each chunk's shot number. */
function shotOf(count: number, shotStarts: readonly number[]): number[] {
  const starts = new Set(shotStarts);
  const shots: number[] = [];
  for (let index = 0, shot = 0; index < count; index++) {
    if (index > 0 && starts.has(index)) shot++;
    shots.push(shot);
  }
  return shots;
}

/** The chunks whose first frame is a scene cut (plan.sceneCuts): each starts a new shot. */
export function shotStartsOf(chunks: readonly { index: number; startSeconds: number }[], sceneCuts: readonly number[]): number[] {
  return chunks
    .filter((chunk) => chunk.index > 0 && sceneCuts.some((cut) => Math.abs(cut - chunk.startSeconds) <= CUT_TOLERANCE_SECONDS))
    .map((chunk) => chunk.index);
}

/**
 * The chunks that can lower chunk `index`'s CRF: its shot, no further than a CRF range's worth
 * of steps (a chunk further away cannot pull it below minCrf + that distance's steps).
 */
export function smoothingWindow({ index, count, shotStarts, minCrf, maxCrf, maxStep = MAX_CRF_STEP }: {
  index: number;
  count: number;
  shotStarts: readonly number[];
  minCrf: number;
  maxCrf: number;
  maxStep?: number;
}): { from: number; to: number } {
  const reach = maxStep > 0 ? Math.ceil((maxCrf - minCrf) / maxStep) : count;
  const shotStart = Math.max(0, ...shotStarts.filter((start) => start <= index));
  const shotEnd = Math.min(count, ...shotStarts.filter((start) => start > index)) - 1;
  return { from: Math.max(shotStart, index - reach), to: Math.min(shotEnd, index + reach) };
}
