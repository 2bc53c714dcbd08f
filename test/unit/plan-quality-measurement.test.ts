import { describe, expect, it } from 'vitest';
import { planQualityMeasurement } from '../../functions/splitter/plan-quality-measurement.ts';

describe('planQualityMeasurement', () => {
  it.each([
    ['a 4K source', 3840, 2160, 1920, 1080],
    ['a 1080p source', 1920, 1080, 1920, 1080],
    ['a portrait 1080×1920 phone video', 1080, 1920, 608, 1080],
    ['a 640×360 source', 640, 360, 640, 360],
    ['a wide 2560×1080 source (width-bound)', 2560, 1080, 1920, 810],
    ['an odd displayed size, already inside the box', 1918, 1078, 1918, 1078],
    ['a cinema 4096×1716 source', 4096, 1716, 1920, 804],
    ['a tall 1080×2400 source', 1080, 2400, 486, 1080],
  ])('%s (%i×%i) is measured at %i×%i', (_, width, height, referenceWidth, referenceHeight) => {
    expect(planQualityMeasurement({ width, height, metric: 'ssim', sampleEvery: 1 })).toEqual({ metric: 'ssim', sampleEvery: 1, referenceWidth, referenceHeight });
  });

  it('keeps the metric and the subsample it is given', () => {
    expect(planQualityMeasurement({ width: 640, height: 360, metric: 'vmaf', sampleEvery: 3 })).toMatchObject({ metric: 'vmaf', sampleEvery: 3 });
  });
});
