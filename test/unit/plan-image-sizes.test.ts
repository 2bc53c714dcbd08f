import { describe, expect, it } from 'vitest';
import { planImageSizes } from '../../functions/splitter/plan-image-sizes.ts';

const ladder = [320, 640, 1280, 1920];

describe('planImageSizes', () => {
  it.each([
    { sourceWidth: 4000, expected: [320, 640, 1280, 1920] },
    { sourceWidth: 1920, expected: [320, 640, 1280, 1920] },
    { sourceWidth: 1000, expected: [320, 640, 1000] },
    { sourceWidth: 640, expected: [320, 640] },
    { sourceWidth: 321, expected: [320, 321] },
    // narrower than the smallest width: one rendition at the source width, never upscaled
    { sourceWidth: 120, expected: [120] },
    { sourceWidth: 1, expected: [1] },
  ])('source $sourceWidth px wide → $expected', ({ sourceWidth, expected }) => {
    expect(planImageSizes({ sourceWidth, widths: ladder })).toEqual(expected);
  });

  it('never plans a width above the source, whatever the ladder order', () => {
    const planned = planImageSizes({ sourceWidth: 700, widths: [1920, 320, 640, 640] });
    expect(planned).toEqual([320, 640, 700]);
  });
});
