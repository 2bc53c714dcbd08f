import { describe, expect, it } from 'vitest';
import { planStoryboardTiles } from '../../functions/splitter/plan-storyboard-tiles.ts';
import type { Chunk } from '../../shared/contracts/work-plan.ts';
import { RENDITION_PROFILE } from '../../shared/rendition-profile.ts';
import { chunkStoryboardFrames, planStoryboard, storyboardCues } from '../../shared/storyboard/plan-storyboard.ts';

const profile = RENDITION_PROFILE.storyboard;

describe('planStoryboard', () => {
  it.each([
    // name, source, expected layout
    { name: '16:9, 12 s: 3 tiles in one row', duration: 12, width: 1920, height: 1080, expected: { intervalSeconds: 5, tileWidth: 160, tileHeight: 90, columns: 3, rows: 1, tileCount: 3, spriteCount: 1 } },
    { name: 'exactly 10 s: 2 tiles, no empty third', duration: 10, width: 1280, height: 720, expected: { intervalSeconds: 5, tileCount: 2, columns: 2, rows: 1 } },
    { name: 'a frame past 10 s: a third tile', duration: 10.04, width: 1280, height: 720, expected: { tileCount: 3 } },
    { name: '4:3 odd size: even height', duration: 4, width: 641, height: 481, expected: { tileWidth: 160, tileHeight: 120, tileCount: 1, columns: 1, rows: 1 } },
    { name: 'anamorphic display size', duration: 30, width: 853, height: 480, expected: { tileWidth: 160, tileHeight: 90 } },
    { name: 'portrait phone video', duration: 60, width: 1080, height: 1920, expected: { tileWidth: 160, tileHeight: 284, columns: 10, rows: 2, tileCount: 12 } },
    { name: 'a very tall source narrows its tiles', duration: 5, width: 200, height: 4000, expected: { tileWidth: 16, tileHeight: 320 } },
    { name: 'a source narrower than a tile is not upscaled', duration: 5, width: 97, height: 55, expected: { tileWidth: 96, tileHeight: 54 } },
    { name: 'a 2-px-high strip stays at least 2 px', duration: 5, width: 7680, height: 2, expected: { tileWidth: 160, tileHeight: 2 } },
    { name: '10 min: 120 tiles, 2 sprites of 10 × 10', duration: 600, width: 1920, height: 1080, expected: { intervalSeconds: 5, tileCount: 120, columns: 10, rows: 10, spriteCount: 2 } },
    { name: '2 h: the interval grows, 300 tiles at most', duration: 7200, width: 1920, height: 1080, expected: { intervalSeconds: 24, tileCount: 300, spriteCount: 3 } },
    { name: '4 h 0.5 s: whole-second interval, still ≤ 300 tiles', duration: 14_400.5, width: 1920, height: 1080, expected: { intervalSeconds: 49, tileCount: 294, spriteCount: 3 } },
    { name: 'one frame: one tile', duration: 1 / 30, width: 640, height: 360, expected: { tileCount: 1, spriteCount: 1, durationSeconds: 0.033 } },
  ])('$name', ({ duration, width, height, expected }) => {
    const layout = planStoryboard({ durationSeconds: duration, width, height, profile });
    expect(layout).toMatchObject(expected);
    expect(layout.tileCount).toBeLessThanOrEqual(profile.maxTiles);
    expect(layout.tileWidth % 2 + layout.tileHeight % 2).toBe(0);
    expect(layout.tileWidth).toBeLessThanOrEqual(Math.max(2, width));
  });

  it('refuses a source with no size', () => {
    expect(() => planStoryboard({ durationSeconds: 5, width: 0, height: 360, profile })).toThrow(RangeError);
  });
});

describe('storyboardCues', () => {
  it.each([
    { duration: 12, width: 1920, height: 1080 },
    { duration: 600.04, width: 1920, height: 1080 },
    { duration: 7200, width: 1080, height: 1920 },
    { duration: 0.04, width: 640, height: 360 },
  ])('cover [0, $duration] end to end, each inside its sprite ($width×$height)', ({ duration, width, height }) => {
    const layout = planStoryboard({ durationSeconds: duration, width, height, profile });
    const cues = storyboardCues(layout);
    expect(cues).toHaveLength(layout.tileCount);
    expect(cues[0]!.startSeconds).toBe(0);
    expect(cues.at(-1)!.endSeconds).toBe(Math.round(duration * 1000) / 1000);
    cues.forEach((cue, index) => {
      if (index > 0) expect(cue.startSeconds).toBe(cues[index - 1]!.endSeconds);
      expect(cue.endSeconds).toBeGreaterThan(cue.startSeconds);
      expect(cue.sampleSeconds).toBeGreaterThanOrEqual(cue.startSeconds);
      expect(cue.sampleSeconds).toBeLessThan(cue.endSeconds);
      expect(cue.sprite).toBeLessThan(layout.spriteCount);
      expect(cue.x + cue.width).toBeLessThanOrEqual(layout.columns * layout.tileWidth);
      expect(cue.y + cue.height).toBeLessThanOrEqual(layout.rows * layout.tileHeight);
    });
    // No two tiles share a place on a sprite.
    expect(new Set(cues.map((cue) => `${cue.sprite}:${cue.x}:${cue.y}`)).size).toBe(cues.length);
  });

  it('lays tiles out row by row, then onto the next sprite', () => {
    const cues = storyboardCues(planStoryboard({ durationSeconds: 600, width: 1920, height: 1080, profile }));
    expect(cues[1]).toMatchObject({ startSeconds: 5, endSeconds: 10, sampleSeconds: 7.5, sprite: 0, x: 160, y: 0 });
    expect(cues[10]).toMatchObject({ sprite: 0, x: 0, y: 90 });
    expect(cues[99]).toMatchObject({ sprite: 0, x: 1440, y: 810 });
    expect(cues[100]).toMatchObject({ startSeconds: 500, sprite: 1, x: 0, y: 0 });
  });
});

describe('planStoryboardTiles', () => {
  /** Chunks of `perChunk` frames over `count` frames (only `frames` matters to the tile planner). */
  const chunks = (count: number, perChunk: number): Chunk[] =>
    Array.from({ length: Math.ceil(count / perChunk) }, (_, index) => ({ index, startSeconds: 0, cutFromSeconds: 0, frames: Math.min(perChunk, count - index * perChunk), durationSeconds: 1 }));
  const frames = (count: number, fps: number, start = 0) => Array.from({ length: count }, (_, index) => start + index / fps);

  it('names the frame shown at each tile’s middle, as (chunk, frame within it)', () => {
    // 12 s at 25 fps in 2-s chunks: tiles at 2.5 s, 7.5 s and 11 s.
    const cues = storyboardCues(planStoryboard({ durationSeconds: 12, width: 640, height: 360, profile }));
    expect(planStoryboardTiles({ cues, shownSeconds: frames(300, 25), chunks: chunks(300, 50) })).toEqual([
      { chunk: 1, frame: 12 },
      { chunk: 3, frame: 37 },
      { chunk: 5, frame: 25 },
    ]);
  });

  it('counts from the first shown frame, not from zero', () => {
    const cues = storyboardCues(planStoryboard({ durationSeconds: 12, width: 640, height: 360, profile }));
    expect(planStoryboardTiles({ cues, shownSeconds: frames(300, 25, 1.4), chunks: chunks(300, 50) })[0]).toEqual({ chunk: 1, frame: 12 });
  });

  it('gives a frame held for many tiles to each of them (a slideshow), once per chunk', () => {
    const cues = storyboardCues(planStoryboard({ durationSeconds: 20, width: 640, height: 360, profile }));
    const tiles = planStoryboardTiles({ cues, shownSeconds: [0, 12], chunks: chunks(2, 1) });
    expect(tiles).toEqual([{ chunk: 0, frame: 0 }, { chunk: 0, frame: 0 }, { chunk: 1, frame: 0 }, { chunk: 1, frame: 0 }]);
    expect(chunkStoryboardFrames(tiles, 0)).toEqual([0]);
    expect(chunkStoryboardFrames(tiles, 2)).toEqual([]);
  });

  it('refuses chunks that do not hold the shown frames', () => {
    const cues = storyboardCues(planStoryboard({ durationSeconds: 12, width: 640, height: 360, profile }));
    expect(() => planStoryboardTiles({ cues, shownSeconds: frames(300, 25), chunks: chunks(250, 50) })).toThrow(RangeError);
  });
});
