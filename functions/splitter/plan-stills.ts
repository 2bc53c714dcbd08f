/**
 * When to take a video's poster and thumbnails: the poster a little way in (an opening frame is
 * often black), thumbnails evenly spread over the whole video. Each is a frame that exists: the
 * one a player shows at that moment (the last at or before it), so a video of one frame, a
 * slideshow or a last frame held for seconds still gets every still.
 */
export interface StillPlan {
  posterSeconds: number;
  thumbnailSeconds: number[];
}

export function planStills({ framesSeconds, endSeconds, thumbnails = 5 }: { framesSeconds: readonly number[]; endSeconds: number; thumbnails?: number }): StillPlan {
  const startSeconds = framesSeconds[0];
  if (startSeconds === undefined) throw new RangeError('planStills needs at least one frame');
  const durationSeconds = Math.max(0, endSeconds - startSeconds);
  const shownAt = (seconds: number) => frameShownAt(framesSeconds, seconds);
  return {
    posterSeconds: shownAt(startSeconds + Math.min(durationSeconds * 0.1, 2)),
    thumbnailSeconds: Array.from({ length: thumbnails }, (_, index) => shownAt(startSeconds + ((index + 0.5) / thumbnails) * durationSeconds)),
  };
}

function frameShownAt(framesSeconds: readonly number[], seconds: number): number {
  return framesSeconds[frameIndexShownAt(framesSeconds, seconds)]!;
}

/** The index of the last frame at or before `seconds` (the first frame if none): a binary search over sorted times. */
export function frameIndexShownAt(framesSeconds: readonly number[], seconds: number): number {
  let low = 0;
  let high = framesSeconds.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (framesSeconds[middle]! <= seconds + 1e-9) low = middle;
    else high = middle - 1;
  }
  return low;
}
