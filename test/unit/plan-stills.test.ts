import { describe, expect, it } from 'vitest';
import { planStills } from '../../functions/splitter/plan-stills.ts';

/** Frame times at `fps` from `start`, `count` of them. */
const frames = (count: number, fps: number, start = 0) => Array.from({ length: count }, (_, index) => start + index / fps);

describe('planStills', () => {
  it('takes the poster 10% in (at most 2 s) and spreads thumbnails evenly, on frames', () => {
    expect(planStills({ framesSeconds: frames(100, 10), endSeconds: 10 })).toEqual({ posterSeconds: 1, thumbnailSeconds: [1, 3, 5, 7, 9] });
    expect(planStills({ framesSeconds: frames(600, 1), endSeconds: 600 }).posterSeconds).toBe(2);
  });

  it('stays inside a source whose timeline does not start at 0', () => {
    const { posterSeconds, thumbnailSeconds } = planStills({ framesSeconds: frames(40, 10, 1.4), endSeconds: 5.4, thumbnails: 2 });
    expect(posterSeconds).toBeCloseTo(1.8, 9);
    expect(thumbnailSeconds.map((seconds) => Number(seconds.toFixed(9)))).toEqual([2.4, 4.4]);
  });

  // Regressions: each of these asked for a time after the last frame ("no frame at or after X s").
  it.each([
    { name: 'a single frame', framesSeconds: [0], endSeconds: 1 / 30, stills: [0, 0, 0, 0, 0, 0] },
    { name: 'a cover picture held for 4 s of audio', framesSeconds: [0], endSeconds: 4, stills: [0, 0, 0, 0, 0, 0] },
    { name: 'a 5-frame slideshow, 2 s a slide', framesSeconds: [0, 2, 4, 6, 8], endSeconds: 10, stills: [0, 0, 2, 4, 6, 8] },
    { name: 'a 9-frame clip', framesSeconds: frames(9, 30), endSeconds: 0.3, stills: [0, 0, 2, 4, 6, 8].map((index) => index / 30) },
    { name: 'a last frame that lasts 2 s', framesSeconds: frames(30, 30), endSeconds: 1 - 1 / 30 + 2, stills: [frames(30, 30)[8]!, ...[0.29, 0.87, 1.45, 2.03, 2.61].map((seconds) => Math.min(29, Math.floor(seconds * 30 + 1e-9)) / 30)] },
    { name: 'a timestamp jump', framesSeconds: [...frames(30, 30), 9, 9 + 1 / 30], endSeconds: 9 + 2 / 30, stills: [27, 27, 29, 29, 29, 29].map((index) => index / 30) },
  ])('$name: every still is a frame that exists', ({ framesSeconds, endSeconds, stills }) => {
    const { posterSeconds, thumbnailSeconds } = planStills({ framesSeconds, endSeconds });
    for (const seconds of [posterSeconds, ...thumbnailSeconds]) expect(framesSeconds).toContain(seconds);
    [posterSeconds, ...thumbnailSeconds].forEach((seconds, index) => expect(seconds).toBeCloseTo(stills[index]!, 9));
  });
});
