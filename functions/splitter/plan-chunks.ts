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
  /** Decoded but never shown (an edit list's hidden lead-in): a place to decode from, never a chunk's frame. */
  discard?: boolean;
}

/** A last chunk shorter than this share of chunkSeconds joins the one before it. */
const SHORTEST_LAST_CHUNK = 0.5;

/**
 * Whether a player shows each frame: not flagged discard, and not before the first keyframe
 * (a file that starts mid-GOP: nothing before its first keyframe decodes). Frames in pts order.
 */
export function shownFrames(frames: readonly SourceFrame[]): boolean[] {
  const firstKeyframe = frames.findIndex((frame) => frame.keyframe);
  return frames.map((frame, index) => firstKeyframe !== -1 && index >= firstKeyframe && frame.discard !== true);
}

/**
 * `frames`: every frame in pts order, hidden ones included (shownFrames decides); `endSeconds`:
 * where the last shown frame ends. Chunks hold shown frames only; a chunk is cut from the last
 * keyframe at or before its start, hidden or not. A last chunk followed by hidden frames gets an
 * end, so that the encoder leaves them out.
 */
export function planChunks({ frames, chunkSeconds, endSeconds }: { frames: readonly SourceFrame[]; chunkSeconds: number; endSeconds: number }): Chunk[] {
  const shown = shownFrames(frames);
  const shownIndices = shown.flatMap((isShown, index) => (isShown ? [index] : []));
  if (shownIndices.length === 0) return [];
  const first = frames[shownIndices[0]!]!.pts;
  // Half a microsecond below each boundary absorbs float noise in timestamps such as 4.0000000001.
  const epsilon = 5e-7;

  // Positions in shownIndices where a chunk starts.
  const starts: number[] = [0];
  let boundary = first + chunkSeconds;
  for (let position = 1; position < shownIndices.length; position++) {
    const pts = frames[shownIndices[position]!]!.pts;
    if (pts < boundary - epsilon) continue;
    starts.push(position);
    while (boundary - epsilon <= pts) boundary += chunkSeconds;
  }
  const lastStart = starts.at(-1)!;
  if (starts.length > 1 && endSeconds - frames[shownIndices[lastStart]!]!.pts < chunkSeconds * SHORTEST_LAST_CHUNK) starts.pop();
  const hiddenAfterLast = shownIndices.at(-1)! < frames.length - 1;

  let lastKeyframe = -1;
  let keyframeCursor = 0;
  return starts.map((startPosition, chunkIndex) => {
    const startIndex = shownIndices[startPosition]!;
    while (keyframeCursor <= startIndex) {
      if (frames[keyframeCursor]!.keyframe) lastKeyframe = keyframeCursor;
      keyframeCursor++;
    }
    const nextPosition = starts[chunkIndex + 1];
    const startSeconds = frames[startIndex]!.pts;
    const endOfChunk = nextPosition === undefined ? endSeconds : frames[shownIndices[nextPosition]!]!.pts;
    return {
      index: chunkIndex,
      startSeconds,
      ...(nextPosition === undefined && !hiddenAfterLast ? {} : { endSeconds: endOfChunk }),
      cutFromSeconds: frames[lastKeyframe]!.pts,
      frames: (nextPosition ?? shownIndices.length) - startPosition,
      durationSeconds: endOfChunk - startSeconds,
    };
  });
}
