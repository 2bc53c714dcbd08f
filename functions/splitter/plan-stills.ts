/**
 * When to take a video's poster and thumbnails: the poster a little way in (an opening frame is
 * often black), thumbnails evenly spread over the whole video.
 */
export interface StillPlan {
  posterSeconds: number;
  thumbnailSeconds: number[];
}

export function planStills({ startSeconds, durationSeconds, thumbnails = 5 }: { startSeconds: number; durationSeconds: number; thumbnails?: number }): StillPlan {
  const posterOffset = Math.min(durationSeconds * 0.1, 2);
  return {
    posterSeconds: round(startSeconds + posterOffset),
    thumbnailSeconds: Array.from({ length: thumbnails }, (_, index) => round(startSeconds + ((index + 0.5) / thumbnails) * durationSeconds)),
  };
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
