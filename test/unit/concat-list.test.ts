import { describe, expect, it } from 'vitest';
import { concatList } from '../../shared/media/ffmpeg/assemble-rung.ts';

describe('concatList', () => {
  it('lists each chunk as a quoted file: URL with its source-timeline duration', () => {
    expect(concatList(['/tmp/job/0.mp4', "/tmp/job/it's 1.mp4"], [4, 2.5])).toBe(
      ["ffconcat version 1.0", "file 'file:/tmp/job/0.mp4'", 'duration 4.000000', "file 'file:/tmp/job/it'\\''s 1.mp4'", 'duration 2.500000', ''].join('\n'),
    );
  });

  it('writes durations whose running sums stay on the source timeline, however many chunks', () => {
    // 29.97 fps chunks of 120 frames: 4.004 s each, not a whole number of microseconds apart in
    // every sum; printed one by one and rounded independently they would drift.
    const duration = (120 * 1001) / 30000 + 1e-7;
    const durations = Array.from({ length: 3000 }, () => duration);
    const printed = [...concatList(durations.map((_, index) => `/tmp/job/${index}.mp4`), durations).matchAll(/^duration (\S+)$/gm)].map((match) => Number(match[1]));
    expect(printed).toHaveLength(3000);
    let sum = 0;
    printed.forEach((value, index) => {
      sum += value;
      expect(Math.abs(sum - duration * (index + 1))).toBeLessThanOrEqual(5e-7 + 1e-9 * index);
    });
  });

  it('refuses relative paths and non-positive durations', () => {
    expect(() => concatList(['chunk.mp4'], [4])).toThrow();
    expect(() => concatList(['/tmp/a.mp4'], [0])).toThrow();
  });
});
