/**
 * A video's storyboard, planned from its displayed size and duration alone: how often a tile is
 * taken, how big a tile is, how tiles are laid out in sprites, and which time range each tile
 * stands for. Pure: the splitter plans it, the encoders take the tiles it names, the assembler
 * lays them out and writes the WebVTT map from the same cues.
 *
 * Times are on the renditions' timeline (zero at the video's first frame), in whole
 * milliseconds, as WebVTT writes them, so that one cue ends exactly where the next begins.
 */
import type { StoryboardProfile } from '../rendition-profile.ts';

export interface StoryboardLayout {
  /** A tile stands for this many seconds (the last one for what is left). */
  intervalSeconds: number;
  tileWidth: number;
  tileHeight: number;
  /** Every sprite is columns × rows tiles (the last one padded), so one size fits all. */
  columns: number;
  rows: number;
  tileCount: number;
  spriteCount: number;
  /** The renditions' duration: the last cue ends here. */
  durationSeconds: number;
  /** The sprites' JPEG quality. */
  jpegQuality: number;
}

export interface StoryboardCue {
  /** The tile's number, in time order. */
  index: number;
  startSeconds: number;
  endSeconds: number;
  /** The frame shown at this time is the tile's picture: the middle of its range, so a preview is never more than half an interval off. */
  sampleSeconds: number;
  sprite: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

const even = (value: number) => Math.max(2, 2 * Math.round(value / 2));

export function planStoryboard({ durationSeconds, width, height, profile }: { durationSeconds: number; width: number; height: number; profile: StoryboardProfile }): StoryboardLayout {
  if (!(durationSeconds >= 0) || !(width > 0) || !(height > 0)) throw new RangeError(`no storyboard for ${width}×${height} over ${durationSeconds} s`);
  const durationMs = Math.round(durationSeconds * 1000);
  // Whole seconds past the profile's interval keep the cue times round.
  const intervalSeconds = Math.max(profile.intervalSeconds, Math.ceil(durationSeconds / profile.maxTiles));
  const tileCount = Math.max(1, Math.ceil(durationMs / Math.round(intervalSeconds * 1000)));

  // Never wider than the source; a tall source keeps its shape by narrowing, not by stretching.
  let tileWidth = Math.min(profile.tileWidth, Math.max(2, 2 * Math.floor(width / 2)));
  let tileHeight = even((tileWidth * height) / width);
  if (tileHeight > profile.maxTileHeight) {
    tileHeight = 2 * Math.floor(profile.maxTileHeight / 2);
    tileWidth = even((tileHeight * width) / height);
  }
  const columns = Math.min(profile.columns, tileCount);
  const rows = Math.min(profile.rows, Math.ceil(tileCount / columns));
  return { intervalSeconds, tileWidth, tileHeight, columns, rows, tileCount, spriteCount: Math.ceil(tileCount / (columns * rows)), durationSeconds: durationMs / 1000, jpegQuality: profile.jpegQuality };
}

/** Each tile's time range and place, in time order: the ranges cover [0, duration] end to end. */
export function storyboardCues(layout: StoryboardLayout): StoryboardCue[] {
  const intervalMs = Math.round(layout.intervalSeconds * 1000);
  const durationMs = Math.round(layout.durationSeconds * 1000);
  const perSprite = layout.columns * layout.rows;
  return Array.from({ length: layout.tileCount }, (_, index) => {
    const startMs = Math.min(index * intervalMs, durationMs);
    const endMs = index === layout.tileCount - 1 ? durationMs : (index + 1) * intervalMs;
    const place = index % perSprite;
    return {
      index,
      startSeconds: startMs / 1000,
      endSeconds: endMs / 1000,
      sampleSeconds: (startMs + endMs) / 2000,
      sprite: Math.floor(index / perSprite),
      x: (place % layout.columns) * layout.tileWidth,
      y: Math.floor(place / layout.columns) * layout.tileHeight,
      width: layout.tileWidth,
      height: layout.tileHeight,
    };
  });
}

/**
 * The frames of one chunk that its storyboard tiles show, increasing and each once (a frame held
 * for seconds may stand for several tiles): the encoder writes them in a row in this order, and
 * the assembler finds a tile's picture at its frame's place in the row.
 */
export function chunkStoryboardFrames(tiles: ReadonlyArray<{ chunk: number; frame: number }>, chunk: number): number[] {
  return [...new Set(tiles.filter((tile) => tile.chunk === chunk).map((tile) => tile.frame))].sort((a, b) => a - b);
}
