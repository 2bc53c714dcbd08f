/**
 * Which frame each storyboard tile shows, as (chunk, frame within the chunk): the frame a player
 * shows at the tile's sample time. Each tile then belongs to exactly one chunk, whose encoder
 * already decodes that frame, and the encoder picks it by its number, not by a timestamp
 * comparison. Chunks hold the shown frames end to end, in order (plan-chunks.ts).
 */
import type { Chunk, StoryboardTile } from '../../shared/contracts/work-plan.ts';
import type { StoryboardCue } from '../../shared/storyboard/plan-storyboard.ts';
import { frameIndexShownAt } from './plan-stills.ts';

export function planStoryboardTiles({ cues, shownSeconds, chunks }: { cues: readonly StoryboardCue[]; shownSeconds: readonly number[]; chunks: readonly Chunk[] }): StoryboardTile[] {
  const first = shownSeconds[0];
  if (first === undefined) throw new RangeError('planStoryboardTiles needs at least one frame');
  let planned = 0;
  const chunkStarts = chunks.map((chunk) => (planned += chunk.frames) - chunk.frames);
  if (planned !== shownSeconds.length) throw new RangeError(`the chunks hold ${planned} frames, ${shownSeconds.length} are shown`);
  return cues.map((cue) => {
    const position = frameIndexShownAt(shownSeconds, first + cue.sampleSeconds);
    let chunk = chunkStarts.length - 1;
    while (chunkStarts[chunk]! > position) chunk--;
    return { chunk, frame: position - chunkStarts[chunk]! };
  });
}
