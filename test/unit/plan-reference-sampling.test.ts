import { describe, expect, it } from 'vitest';
import { planReferenceSampling, REFERENCE_BUDGET_BYTES, referenceFrameBytes } from '../../functions/encoder/plan-reference-sampling.ts';

const FULL_HD = { width: 1920, height: 1080 };
const LADDER = [{ width: 1920, height: 1080 }, { width: 1280, height: 720 }, { width: 854, height: 480 }, { width: 640, height: 360 }];

describe('planReferenceSampling', () => {
  it('counts a Y4M frame as its header and its 4:2:0 planes', () => {
    expect(referenceFrameBytes(4, 2)).toBe(6 + 12);
  });

  it.each([
    // [case, frames, viewed sampleEvery, fidelity rungs, expected]
    ['a 4 s 1080p30 chunk, as viewed only: fits', 120, 1, undefined, { viewedSampleEvery: 1 }],
    ['a 4 s 1080p30 chunk in target mode (about 1 GiB): fits', 120, 1, LADDER, { viewedSampleEvery: 1, fidelitySampleEvery: 1 }],
    // The fidelity references give way first: the as-viewed figure is the manifest's.
    ['a 4 s 1080p60 chunk in target mode (about 1.9 GiB): fidelity on every 2nd frame, as viewed on every frame', 240, 1, LADDER, { viewedSampleEvery: 1, fidelitySampleEvery: 2 }],
    ['a 10 s 1080p60 chunk in target mode (about 4.8 GiB): as viewed on every 2nd frame, fidelity every 5th', 600, 1, LADDER, { viewedSampleEvery: 2, fidelitySampleEvery: 5 }],
    ['the plan subsamples as viewed already: fidelity keeps every frame where it fits', 240, 3, LADDER, { viewedSampleEvery: 3, fidelitySampleEvery: 1 }],
    ['the plan subsamples less than the budget needs: the budget wins', 600, 2, LADDER, { viewedSampleEvery: 2, fidelitySampleEvery: 5 }],
    ['a 10 s 1080p60 chunk as viewed only (about 1.7 GiB): every 2nd frame', 600, 1, undefined, { viewedSampleEvery: 2 }],
  ] as const)('%s', (_, frames, sampleEvery, fidelity, expected) => {
    const sampling = planReferenceSampling({ frames, viewed: { ...FULL_HD, sampleEvery }, fidelity });
    expect(sampling).toEqual(expected);
  });

  it('takes the smallest n that fits: one frame more than the budget holds needs n = 2', () => {
    const frameBytes = referenceFrameBytes(640, 360);
    expect(planReferenceSampling({ frames: 10, viewed: { width: 640, height: 360, sampleEvery: 1 }, budgetBytes: 10 * frameBytes })).toEqual({ viewedSampleEvery: 1 });
    expect(planReferenceSampling({ frames: 11, viewed: { width: 640, height: 360, sampleEvery: 1 }, budgetBytes: 10 * frameBytes })).toEqual({ viewedSampleEvery: 2 });
    // Not only powers of two: 30 frames in a 10-frame budget is every 3rd, not every 4th.
    expect(planReferenceSampling({ frames: 30, viewed: { width: 640, height: 360, sampleEvery: 1 }, budgetBytes: 10 * frameBytes })).toEqual({ viewedSampleEvery: 3 });
  });

  it('refuses a budget that cannot hold one frame of each reference', () => {
    expect(() => planReferenceSampling({ frames: 5, viewed: { ...FULL_HD, sampleEvery: 1 }, budgetBytes: 1000 })).toThrow(/one frame of each quality reference/);
  });

  it('keeps the default budget under the encoder\'s 4 GiB of /tmp', () => {
    expect(REFERENCE_BUDGET_BYTES).toBeLessThan(4 * 2 ** 30);
  });
});
