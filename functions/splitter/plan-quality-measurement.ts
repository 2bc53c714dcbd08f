/**
 * How every rung of a video is measured (shared/contracts/quality.ts): with the metric the
 * ffmpeg in use offers, every n-th frame, as viewed at the source's displayed size capped to fit
 * 1920×1080. The cap keeps the aspect and makes both sides even (4:2:0): a 4K source is measured
 * at 1920×1080, a 1080×1920 portrait one at 608×1080, a 640×360 one at its own size.
 */
import type { QualityMeasurement, QualityMetric } from '../../shared/contracts/quality.ts';

/** The largest reference: what a viewer on a 1080p screen sees; the box, not its orientation. */
export const MAX_REFERENCE = { width: 1920, height: 1080 } as const;

const even = (value: number) => Math.max(2, 2 * Math.round(value / 2));

export function planQualityMeasurement(args: { width: number; height: number; metric: QualityMetric; sampleEvery: number }): QualityMeasurement {
  const { width, height, metric, sampleEvery } = args;
  const scale = Math.min(1, MAX_REFERENCE.width / width, MAX_REFERENCE.height / height);
  return {
    metric,
    sampleEvery,
    referenceWidth: Math.min(even(width * scale), MAX_REFERENCE.width),
    referenceHeight: Math.min(even(height * scale), MAX_REFERENCE.height),
  };
}
