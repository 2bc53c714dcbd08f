/**
 * Cuts a video's frame list into chunks of about `chunkSeconds`. A chunk starts at the first
 * frame at or after each multiple of chunkSeconds, not at a source keyframe: every chunk then
 * opens a closed GOP exactly where an HLS segment starts, and a source whose keyframes are far
 * apart still yields short chunks. Each chunk is decoded from the last source keyframe at or
 * before its start (`cutFromSeconds`); the lead-in frames are decoded and dropped.
 */
import type { Chunk } from '../../shared/contracts/work-plan.ts';

export interface SourceFrame {
  pts: number;
  keyframe: boolean;
}

/** A last chunk shorter than this share of chunkSeconds joins the one before it. */
const SHORTEST_LAST_CHUNK = 0.5;

export function planChunks({ frames, chunkSeconds, endSeconds }: { frames: readonly SourceFrame[]; chunkSeconds: number; endSeconds: number }): Chunk[] {
  if (frames.length === 0) return [];
  if (!frames[0]!.keyframe) throw new Error('the first video frame is not a keyframe');
  const first = frames[0]!.pts;
  // Half a microsecond below each boundary absorbs float noise in timestamps such as 4.0000000001.
  const epsilon = 5e-7;

  const starts: number[] = [0];
  let boundary = first + chunkSeconds;
  for (let index = 1; index < frames.length; index++) {
    if (frames[index]!.pts < boundary - epsilon) continue;
    starts.push(index);
    while (boundary - epsilon <= frames[index]!.pts) boundary += chunkSeconds;
  }
  const lastStart = starts.at(-1)!;
  if (starts.length > 1 && endSeconds - frames[lastStart]!.pts < chunkSeconds * SHORTEST_LAST_CHUNK) starts.pop();

  let lastKeyframe = 0;
  let keyframeCursor = 0;
  return starts.map((startIndex, chunkIndex) => {
    while (keyframeCursor <= startIndex) {
      if (frames[keyframeCursor]!.keyframe) lastKeyframe = keyframeCursor;
      keyframeCursor++;
    }
    const nextIndex = starts[chunkIndex + 1];
    const startSeconds = frames[startIndex]!.pts;
    const endOfChunk = nextIndex === undefined ? endSeconds : frames[nextIndex]!.pts;
    return {
      index: chunkIndex,
      startSeconds,
      ...(nextIndex === undefined ? {} : { endSeconds: endOfChunk }),
      cutFromSeconds: frames[lastKeyframe]!.pts,
      frames: (nextIndex ?? frames.length) - startIndex,
      durationSeconds: endOfChunk - startSeconds,
    };
  });
}
