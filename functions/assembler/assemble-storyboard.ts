/**
 * The storyboard: each chunk's row of tiles (the encoders took them from their own decode) laid
 * out in the sprites the plan sized, and the WebVTT map from the same cues. The tiles are small
 * (at most the profile's maxTiles, 160 px wide), so every row is downloaded at once.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { StoryboardRendition } from '../../shared/contracts/manifest.ts';
import type { MediaPlan } from '../../shared/contracts/work-plan.ts';
import { keys } from '../../shared/keys.ts';
import { composeSprite } from '../../shared/media/compose-sprite.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';
import { chunkStoryboardFrames, storyboardCues } from '../../shared/storyboard/plan-storyboard.ts';
import { writeStoryboardVtt } from '../../shared/storyboard/storyboard-vtt.ts';

export interface AssembleStoryboardDependencies {
  store: ObjectStore;
  workBucket: string;
  renditionsBucket: string;
}

const TRANSFER_CONCURRENCY = 16;

/** Undefined for a plan without a storyboard (audio alone). `workDir` is the assembler's, cleared by its caller. */
export async function assembleStoryboard(plan: MediaPlan, workDir: string, deps: AssembleStoryboardDependencies): Promise<StoryboardRendition | undefined> {
  const storyboard = plan.storyboard;
  if (!storyboard) return undefined;
  const cues = storyboardCues(storyboard);
  const transfer = pLimit(TRANSFER_CONCURRENCY);
  const chunks = [...new Set(storyboard.tiles.map((tile) => tile.chunk))];
  const rows = new Map(
    await Promise.all(
      chunks.map((chunk) => transfer(async () => {
        const path = join(workDir, `storyboard-row-${chunk}.png`);
        await deps.store.download({ bucket: deps.workBucket, key: keys.storyboardTiles(plan.jobId, chunk) }, path);
        return [chunk, { path, frames: chunkStoryboardFrames(storyboard.tiles, chunk) }] as const;
      })),
    ),
  );

  const { tileWidth, tileHeight, columns, rows: gridRows } = storyboard;
  const sprites = await Promise.all(
    Array.from({ length: storyboard.spriteCount }, async (_, sprite) => {
      const tiles = cues.filter((cue) => cue.sprite === sprite).map((cue) => {
        const { chunk, frame } = storyboard.tiles[cue.index]!;
        const row = rows.get(chunk)!;
        return { rowPath: row.path, position: row.frames.indexOf(frame), left: cue.x, top: cue.y };
      });
      const key = keys.storyboardSprite(plan.jobId, sprite);
      const path = join(workDir, `storyboard-${sprite}.jpg`);
      await composeSprite({ tiles, tileWidth, tileHeight, width: columns * tileWidth, height: gridRows * tileHeight, jpegQuality: storyboard.jpegQuality, outputPath: path });
      const { bytes } = await deps.store.uploadFile({ bucket: deps.renditionsBucket, key }, path, 'image/jpeg');
      return { key, bytes };
    }),
  );

  // The sprites sit beside the WebVTT file, which names them relatively.
  const vttKey = keys.storyboardVtt(plan.jobId);
  const relative = (key: string) => key.slice(key.lastIndexOf('/') + 1);
  const vttPath = join(workDir, 'storyboard.vtt');
  await writeFile(vttPath, writeStoryboardVtt(cues.map((cue) => ({ ...cue, url: relative(sprites[cue.sprite]!.key) }))));
  const vtt = await deps.store.uploadFile({ bucket: deps.renditionsBucket, key: vttKey }, vttPath, 'text/vtt');
  return {
    kind: 'storyboard',
    key: vttKey,
    sprites: sprites.map(({ key }) => key),
    intervalSeconds: storyboard.intervalSeconds,
    tileWidth,
    tileHeight,
    columns,
    rows: gridRows,
    bytes: vtt.bytes + sprites.reduce((sum, { bytes }) => sum + bytes, 0),
  };
}
