/**
 * A rung's quality over the whole file, from the encoders' per-chunk reports (pure): the
 * frame-weighted mean (each chunk's mean counts by the frames it holds, so the figure is the
 * mean over the file's frames, as an independent measurement of the delivered MP4 gives, also
 * where a chunk was measured on a subsample), the worst chunk's mean as `min`, the worst single frame, and the CRF of every chunk.
 */
import type { ChunkReport, QualityMeasurement, RungQuality } from '../../shared/contracts/quality.ts';
import { InternalError } from '../../shared/errors.ts';

export interface AggregatedRung {
  quality: RungQuality;
  /** By chunk index. */
  crfs: number[];
}

/** `reports` holds one report per chunk, in chunk order. */
export function aggregateRungQuality(args: { rung: string; reports: readonly ChunkReport[]; measurement: QualityMeasurement }): AggregatedRung {
  const { rung, reports, measurement } = args;
  if (reports.length === 0) throw new InternalError('INTERNAL', `rung ${rung}: no chunk reports to aggregate`);
  const entries = reports.map((report, position) => {
    if (report.index !== position) throw new InternalError('INTERNAL', `chunk report ${report.index} found where chunk ${position} belongs`);
    const entry = report.rungs.find((candidate) => candidate.rung === rung);
    if (!entry) throw new InternalError('INTERNAL', `chunk ${report.index}'s report has no rung ${rung}`);
    return entry;
  });
  const frames = entries.reduce((sum, entry) => sum + entry.viewed.frames, 0);
  // Each chunk counts by the frames it holds: one measured on every n-th frame (its disk budget) still stands for all of them.
  const weighted = entries.reduce((sum, entry) => sum + entry.viewed.mean * entry.frames, 0);
  const heldFrames = entries.reduce((sum, entry) => sum + entry.frames, 0);
  let worstChunk = 0;
  entries.forEach((entry, index) => {
    if (entry.viewed.mean < entries[worstChunk]!.viewed.mean) worstChunk = index;
  });
  const fidelities = entries.flatMap((entry) => (entry.fidelity ? [entry.fidelity.mean] : []));
  return {
    quality: {
      metric: measurement.metric,
      mean: weighted / heldFrames,
      min: entries[worstChunk]!.viewed.mean,
      worstChunk,
      minFrame: Math.min(...entries.map((entry) => entry.viewed.minFrame)),
      frames,
      // A chunk whose references would not fit the encoder's disk was sampled more coarsely than the plan asked.
      sampleEvery: Math.max(measurement.sampleEvery, ...entries.map((entry) => entry.viewed.sampleEvery ?? 1)),
      reference: { width: measurement.referenceWidth, height: measurement.referenceHeight, scaler: 'bicubic' },
      // Only when every chunk was measured for fidelity (target mode); a partial minimum would flatter.
      ...(fidelities.length === entries.length ? { fidelityMin: Math.min(...fidelities) } : {}),
    },
    crfs: entries.map((entry) => entry.crf),
  };
}
