/**
 * The per-title ladder (Netflix's per-title encoding; Apple's HLS authoring guidance on adjacent
 * variants): with a quality target, a rung stays only when it adds viewed quality for its bits.
 *
 * 1. On the upper convex hull of (bitrate, quality as viewed): a rung under the line between
 *    its neighbours gives less quality per bit than switching between them would.
 * 2. At least `minRatio` × the bitrate of the kept rung below it: closer variants make a player
 *    switch back and forth for nothing.
 * The top rung (the largest the source allows) is always kept: it is the one a big screen gets.
 * Where it is too close to the kept rung below, that one goes instead.
 */
import type { DroppedRung, QualityMetric } from '../contracts/quality.ts';

export const MIN_BITRATE_RATIO = 1.5;

export interface LadderPoint {
  rung: string;
  width: number;
  height: number;
  bitrateKbps: number;
  /** As viewed (the rung's quality.mean). */
  quality: number;
}

export interface PrunedLadder {
  /** Rung names kept, in the order given. */
  kept: string[];
  dropped: DroppedRung[];
}

export function pruneLadder({ rungs, metric, minRatio = MIN_BITRATE_RATIO }: { rungs: readonly LadderPoint[]; metric: QualityMetric; minRatio?: number }): PrunedLadder {
  if (rungs.length <= 1) return { kept: rungs.map((rung) => rung.rung), dropped: [] };
  const top = rungs.reduce((best, rung) => (rung.height * rung.width > best.height * best.width ? rung : best));
  const byBitrate = [...rungs].sort((a, b) => a.bitrateKbps - b.bitrateKbps || a.quality - b.quality);
  const reasons = new Map<string, string>();

  // 1. The upper hull (Andrew's monotone chain), rising part only: a rung with more bits and no more quality than a cheaper one adds nothing.
  const hull: LadderPoint[] = [];
  for (const point of byBitrate) {
    while (hull.length >= 2 && cross(hull.at(-2)!, hull.at(-1)!, point) >= 0) hull.pop();
    hull.push(point);
  }
  const onHull = new Set<LadderPoint>();
  let best: LadderPoint | undefined;
  for (const point of hull) {
    if (best && point.quality <= best.quality) continue;
    onHull.add(point);
    best = point;
  }
  for (const point of byBitrate) {
    if (onHull.has(point) || point === top) continue;
    const below = [...onHull].filter((kept) => kept.bitrateKbps <= point.bitrateKbps && kept !== point).at(-1);
    reasons.set(point.rung, below
      ? `not on the convex hull: ${point.rung} ${change(point.quality - below.quality, metric)} for ${ratio(point.bitrateKbps, below.bitrateKbps)} the bits of ${below.rung}`
      : `not on the convex hull of bitrate and ${label(metric)}`);
  }

  // 2. Adjacent kept rungs at least minRatio apart, from the bottom up; the top rung wins a tie with the one below it.
  const kept: LadderPoint[] = [];
  for (const point of byBitrate.filter((point) => !reasons.has(point.rung))) {
    let below = kept.at(-1);
    if (point === top) {
      while (below && point.bitrateKbps < minRatio * below.bitrateKbps) {
        kept.pop();
        reasons.set(below.rung, `${point.rung}, the top rung, is only ${ratio(point.bitrateKbps, below.bitrateKbps)} its bitrate`);
        below = kept.at(-1);
      }
    } else if (below && point.bitrateKbps < minRatio * below.bitrateKbps) {
      reasons.set(point.rung, `only ${ratio(point.bitrateKbps, below.bitrateKbps)} the bitrate of ${below.rung}`);
      continue;
    }
    kept.push(point);
  }

  return {
    kept: rungs.filter((rung) => !reasons.has(rung.rung)).map((rung) => rung.rung),
    dropped: rungs
      .filter((rung) => reasons.has(rung.rung))
      .map((rung) => ({ rung: rung.rung, width: rung.width, height: rung.height, bitrateKbps: rung.bitrateKbps, quality: rung.quality, reason: reasons.get(rung.rung)! })),
  };
}

/** > 0: b is above the line o→a extended, so a is under the hull (= 0: on the line, nothing gained either). */
function cross(o: LadderPoint, a: LadderPoint, b: LadderPoint): number {
  return (a.bitrateKbps - o.bitrateKbps) * (b.quality - o.quality) - (a.quality - o.quality) * (b.bitrateKbps - o.bitrateKbps);
}

function label(metric: QualityMetric): string {
  return metric === 'psnr' ? 'dB PSNR' : metric.toUpperCase();
}

function change(delta: number, metric: QualityMetric): string {
  const amount = Number(Math.abs(delta).toPrecision(2));
  return `${delta >= 0 ? 'adds' : 'loses'} ${amount} ${label(metric)}`;
}

function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(1)}×` : 'infinitely many';
}
