import { describe, expect, it } from 'vitest';
import { shotStartsOf, smoothCrfs, smoothedCrfAt, smoothingWindow } from '../../shared/quality/smooth-crfs.ts';

describe('smoothCrfs', () => {
  it.each([
    ['leaves a flat run alone', [28, 28, 28], [], [28, 28, 28]],
    ['leaves steps of maxStep alone', [24, 26, 28, 26], [], [24, 26, 28, 26]],
    ['lowers the higher neighbour of a jump, never raises the lower', [22, 32, 32], [], [22, 24, 26]],
    ['lowers both sides of a dip', [34, 34, 20, 34, 34], [], [24, 22, 20, 22, 24]],
    ['a scene cut on the boundary separates shots', [22, 32, 32], [1], [22, 32, 32]],
    ['smooths within each shot on its own', [22, 32, 40, 40], [2], [22, 24, 40, 40]],
    ['one chunk', [30], [], [30]],
    ['keeps fractional CRFs', [20.5, 30], [], [20.5, 22.5]],
  ] as const)('%s', (_, crfs, shotStarts, expected) => {
    const smoothed = smoothCrfs({ crfs, shotStarts });
    expect(smoothed).toEqual(expected);
    // Never above the search's choice; steps within a shot at most 2.
    smoothed.forEach((crf, index) => expect(crf).toBeLessThanOrEqual(crfs[index]!));
  });

  it.each([
    ['a larger maxStep allows larger steps', [22, 32, 32], 4, [22, 26, 30]],
    ['maxStep 0 flattens a shot to its lowest CRF', [30, 24, 28], 0, [24, 24, 24]],
  ] as const)('%s', (_, crfs, maxStep, expected) => {
    expect(smoothCrfs({ crfs, shotStarts: [], maxStep })).toEqual(expected);
  });

  it('a window sized for maxStep still gives the whole array’s entry', () => {
    const crfs = [16, 40, 40, 40, 40, 40, 40, 40];
    const whole = smoothCrfs({ crfs, shotStarts: [], maxStep: 4 });
    expect(whole).toEqual([16, 20, 24, 28, 32, 36, 40, 40]);
    for (let index = 0; index < crfs.length; index++) {
      const { from, to } = smoothingWindow({ index, count: crfs.length, shotStarts: [], minCrf: 16, maxCrf: 40, maxStep: 4 });
      // Six steps of 4 span the CRF range: a chunk further away cannot lower this one.
      expect(index - from).toBeLessThanOrEqual(6);
      const sparse: number[] = [];
      for (let other = from; other <= to; other++) sparse[other] = crfs[other]!;
      expect(smoothedCrfAt({ crfs: sparse, shotStarts: [], index, maxStep: 4 }), `chunk ${index}`).toBe(whole[index]);
    }
  });

  it('one chunk’s entry from its window alone equals the whole array’s', () => {
    const crfs = [40, 40, 16, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40];
    const whole = smoothCrfs({ crfs, shotStarts: [9] });
    for (let index = 0; index < crfs.length; index++) {
      const { from, to } = smoothingWindow({ index, count: crfs.length, shotStarts: [9], minCrf: 16, maxCrf: 40 });
      const sparse: number[] = [];
      for (let other = from; other <= to; other++) sparse[other] = crfs[other]!;
      expect(smoothedCrfAt({ crfs: sparse, shotStarts: [9], index }), `chunk ${index}`).toBe(whole[index]);
      expect(from).toBeGreaterThanOrEqual(index < 9 ? 0 : 9);
      expect(to).toBeLessThanOrEqual(index < 9 ? 8 : crfs.length - 1);
    }
  });

  it('finds the chunks a scene cut starts, within a millisecond', () => {
    const chunks = [0, 4, 8, 12].map((startSeconds, index) => ({ index, startSeconds }));
    expect(shotStartsOf(chunks, [0, 2.5, 4.0004, 11.9])).toEqual([1]);
  });
});
