import { describe, expect, it } from 'vitest';
import { planStills } from '../../functions/splitter/plan-stills.ts';

describe('planStills', () => {
  it('takes the poster 10% in (at most 2 s) and spreads thumbnails evenly', () => {
    expect(planStills({ startSeconds: 0, durationSeconds: 10 })).toEqual({ posterSeconds: 1, thumbnailSeconds: [1, 3, 5, 7, 9] });
    expect(planStills({ startSeconds: 0, durationSeconds: 600 }).posterSeconds).toBe(2);
  });

  it('stays inside a source whose timeline does not start at 0', () => {
    const { posterSeconds, thumbnailSeconds } = planStills({ startSeconds: 1.4, durationSeconds: 4, thumbnails: 2 });
    expect(posterSeconds).toBe(1.8);
    expect(thumbnailSeconds).toEqual([2.4, 4.4]);
  });
});
