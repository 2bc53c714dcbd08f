import { describe, expect, it } from 'vitest';
import { aggregateRungQuality } from '../../functions/assembler/aggregate-rung-quality.ts';
import type { ChunkReport, QualityMeasurement } from '../../shared/contracts/quality.ts';

const measurement: QualityMeasurement = { metric: 'ssim', sampleEvery: 1, referenceWidth: 854, referenceHeight: 480 };

type Score = { mean: number; minFrame: number; frames: number; crf?: number; fidelity?: number };

function report(index: number, rungs: Record<string, Score>): ChunkReport {
  return {
    index,
    metric: 'ssim',
    rungs: Object.entries(rungs).map(([rung, { mean, minFrame, frames, crf = 24, fidelity }]) => ({
      rung,
      crf,
      bytes: 1000,
      frames,
      viewed: { mean, minFrame, frames },
      ...(fidelity === undefined ? {} : { fidelity: { mean: fidelity, minFrame: fidelity, frames } }),
    })),
    measureCpuMs: 10,
    encodeCpuMs: 100,
  };
}

describe('aggregateRungQuality', () => {
  it('weighs each chunk by its frames: a short last chunk counts for less', () => {
    const reports = [
      report(0, { '360p': { mean: 0.99, minFrame: 0.98, frames: 60 } }),
      report(1, { '360p': { mean: 0.97, minFrame: 0.95, frames: 60 } }),
      report(2, { '360p': { mean: 0.9, minFrame: 0.85, frames: 10 } }),
    ];
    const { quality } = aggregateRungQuality({ rung: '360p', reports, measurement });
    // (0.99·60 + 0.97·60 + 0.9·10) / 130, not the plain mean of the three chunks (0.9533).
    expect(quality.mean).toBeCloseTo((0.99 * 60 + 0.97 * 60 + 0.9 * 10) / 130, 12);
    expect(quality.frames).toBe(130);
  });

  it('reports the worst chunk by its mean, and the worst frame of any chunk', () => {
    const reports = [
      // Chunk 0 has the worst single frame, chunk 1 the worst mean: they are different facts.
      report(0, { '480p': { mean: 0.98, minFrame: 0.8, frames: 60 } }),
      report(1, { '480p': { mean: 0.95, minFrame: 0.93, frames: 60 } }),
      report(2, { '480p': { mean: 0.97, minFrame: 0.96, frames: 60 } }),
    ];
    const { quality } = aggregateRungQuality({ rung: '480p', reports, measurement });
    expect(quality).toMatchObject({ min: 0.95, worstChunk: 1, minFrame: 0.8 });
  });

  it('keeps the first of equally bad chunks as the worst', () => {
    const reports = [report(0, { a: { mean: 0.9, minFrame: 0.9, frames: 1 } }), report(1, { a: { mean: 0.9, minFrame: 0.9, frames: 1 } })];
    expect(aggregateRungQuality({ rung: 'a', reports, measurement }).quality.worstChunk).toBe(0);
  });

  it('picks its own rung out of reports that carry every rung, and lists its CRF per chunk', () => {
    const reports = [
      report(0, { '480p': { mean: 0.99, minFrame: 0.99, frames: 30, crf: 24 }, '360p': { mean: 0.5, minFrame: 0.5, frames: 30, crf: 25 } }),
      report(1, { '480p': { mean: 0.97, minFrame: 0.97, frames: 30, crf: 26.5 }, '360p': { mean: 0.5, minFrame: 0.5, frames: 30, crf: 27 } }),
    ];
    const { quality, crfs } = aggregateRungQuality({ rung: '480p', reports, measurement });
    expect(quality.mean).toBeCloseTo(0.98, 12);
    expect(crfs).toEqual([24, 26.5]);
  });

  it('says how it was measured: metric, subsample and the bicubic reference size', () => {
    const { quality } = aggregateRungQuality({ rung: 'a', reports: [report(0, { a: { mean: 0.9, minFrame: 0.9, frames: 5 } })], measurement: { ...measurement, sampleEvery: 2 } });
    expect(quality).toMatchObject({ metric: 'ssim', sampleEvery: 2, reference: { width: 854, height: 480, scaler: 'bicubic' } });
    expect(quality.fidelityMin).toBeUndefined();
  });

  it('says the coarsest subsample any chunk took: a chunk sampled for its disk budget shows in the manifest', () => {
    const sampled = report(1, { a: { mean: 0.9, minFrame: 0.9, frames: 20 } });
    sampled.rungs[0]!.viewed.sampleEvery = 3;
    const reports = [report(0, { a: { mean: 0.9, minFrame: 0.9, frames: 60 } }), sampled];
    expect(aggregateRungQuality({ rung: 'a', reports, measurement }).quality.sampleEvery).toBe(3);
  });

  it('weighs a subsampled chunk by the frames it holds, not the frames measured: the file\'s mean stays a mean over its frames', () => {
    const sampled = report(1, { a: { mean: 0.9, minFrame: 0.88, frames: 60 } });
    sampled.rungs[0]!.viewed = { mean: 0.9, minFrame: 0.88, frames: 20, sampleEvery: 3 };
    const { quality } = aggregateRungQuality({ rung: 'a', reports: [report(0, { a: { mean: 0.99, minFrame: 0.98, frames: 60 } }), sampled], measurement });
    // (0.99·60 + 0.9·60) / 120, not (0.99·60 + 0.9·20) / 80.
    expect(quality.mean).toBeCloseTo((0.99 + 0.9) / 2, 12);
    expect(quality.frames).toBe(80);
  });

  it('gives the worst chunk fidelity when every chunk was measured for it (target mode)', () => {
    const reports = [report(0, { a: { mean: 0.9, minFrame: 0.9, frames: 5, fidelity: 0.985 } }), report(1, { a: { mean: 0.9, minFrame: 0.9, frames: 5, fidelity: 0.981 } })];
    expect(aggregateRungQuality({ rung: 'a', reports, measurement }).quality.fidelityMin).toBe(0.981);
  });

  it('gives no fidelity when only some chunks were measured for it: a partial minimum would flatter', () => {
    const reports = [report(0, { a: { mean: 0.9, minFrame: 0.9, frames: 5, fidelity: 0.985 } }), report(1, { a: { mean: 0.9, minFrame: 0.9, frames: 5 } })];
    expect(aggregateRungQuality({ rung: 'a', reports, measurement }).quality.fidelityMin).toBeUndefined();
  });

  it('refuses reports out of order, or one without the rung', () => {
    const a = { mean: 0.9, minFrame: 0.9, frames: 5 };
    expect(() => aggregateRungQuality({ rung: 'a', reports: [report(1, { a }), report(0, { a })], measurement })).toThrow(/chunk report 1 found where chunk 0 belongs/);
    expect(() => aggregateRungQuality({ rung: 'b', reports: [report(0, { a })], measurement })).toThrow(/has no rung b/);
    expect(() => aggregateRungQuality({ rung: 'a', reports: [], measurement })).toThrow(/no chunk reports/);
  });
});
