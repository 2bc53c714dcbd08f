/**
 * Target mode's per-title ladder in the assembler: each joined rung's video bitrate (its HLS
 * variant's: a player switching variants switches only the video, the audio is a rendition of its
 * own, so the MP4's muxed audio would shrink every ratio between rungs) and its quality as viewed (`quality.mean`, measured from the chunk reports) go to pruneLadder; what it
 * drops leaves HLS and the MP4 list, and is listed in the manifest's `ladder` with why. Without a
 * target, or while any rung lacks its measured quality, the ladder is kept whole: pruning on a
 * guess would drop a rung someone needs.
 */
import type { VideoRendition } from '../../shared/contracts/manifest.ts';
import type { DroppedRung, QualityMetric, QualityTarget } from '../../shared/contracts/quality.ts';
import { pruneLadder } from '../../shared/quality/prune-ladder.ts';

export interface PrunedRenditions {
  kept: VideoRendition[];
  dropped: DroppedRung[];
  /** Set when the ladder was pruned: the metric its qualities are in. */
  prunedBy?: QualityMetric;
}

export interface LadderRendition {
  rendition: VideoRendition;
  /** The video alone (the rung's HLS variant's average bandwidth). */
  videoBitrateKbps: number;
}

export function pruneRenditions({ ladder, target }: { ladder: readonly LadderRendition[]; target?: QualityTarget }): PrunedRenditions {
  const renditions = ladder.map(({ rendition }) => rendition);
  const measured = ladder.flatMap(({ rendition, videoBitrateKbps }) => (rendition.quality ? [{ rendition, videoBitrateKbps, quality: rendition.quality }] : []));
  const metric = measured[0]?.quality.metric;
  if (!target || !metric || measured.length !== renditions.length || measured.some(({ quality }) => quality.metric !== metric)) return { kept: [...renditions], dropped: [] };
  const { kept, dropped } = pruneLadder({
    rungs: measured.map(({ rendition, videoBitrateKbps, quality }) => ({ rung: rendition.rung, width: rendition.width, height: rendition.height, bitrateKbps: videoBitrateKbps, quality: quality.mean })),
    metric,
  });
  return { kept: renditions.filter((rendition) => kept.includes(rendition.rung)), dropped, prunedBy: metric };
}
