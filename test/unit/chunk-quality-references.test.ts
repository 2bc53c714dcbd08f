/**
 * chunkQualityReferences (review): what a chunk's encode is told to write for its measurement,
 * from the plan: the plan's own as-viewed subsample, fidelity references only in target mode, and
 * the disk budget's subsample on both (planReferenceSampling is table-tested on its own).
 */
import { describe, expect, it } from 'vitest';
import { referenceFrameBytes } from '../../functions/encoder/plan-reference-sampling.ts';
import { chunkQualityReferences } from '../../functions/encoder/report-chunk-quality.ts';
import type { MediaPlan } from '../../shared/contracts/work-plan.ts';
import { testMediaPlan, TEST_RUNGS } from '../support/media-plan.ts';

const RUNGS = TEST_RUNGS;

function plan({ sampleEvery = 1, target = false }: { sampleEvery?: number; target?: boolean }): MediaPlan {
  return testMediaPlan({
    chunks: 2,
    quality: { metric: 'ssim', sampleEvery, referenceWidth: 854, referenceHeight: 480 },
    ...(target ? { qualityTarget: { metric: 'ssim', value: 0.98 } } : {}),
  });
}

const references = (mediaPlan: MediaPlan, budgetBytes?: number) =>
  chunkQualityReferences({ plan: mediaPlan, chunk: mediaPlan.chunks[0]!, rungs: mediaPlan.rungs, workDir: '/tmp/work', ...(budgetBytes === undefined ? {} : { budgetBytes }) });

describe('chunkQualityReferences', () => {
  it('writes only the as-viewed reference without a target, at the plan’s subsample', () => {
    const written = references(plan({ sampleEvery: 2 }));
    expect(written).toEqual({ viewed: { width: 854, height: 480, sampleEvery: 2, path: expect.any(String) } });
  });

  it('writes each rung’s input too in target mode, every frame of it where the disk allows', () => {
    const written = references(plan({ sampleEvery: 2, target: true }))!;
    expect(written.viewed).toMatchObject({ sampleEvery: 2 });
    expect(written.fidelity).toEqual({ paths: { '480p': expect.any(String), '360p': expect.any(String) }, sampleEvery: 1 });
    expect(new Set([written.viewed!.path, ...Object.values(written.fidelity!.paths)]).size).toBe(3);
  });

  it('subsamples both past the disk budget, the fidelity references the more', () => {
    // Room for 25 frames of the three references: as viewed every 2nd frame (30), the rungs' inputs every 3rd (20).
    const frameBytes = referenceFrameBytes(854, 480) + RUNGS.reduce((sum, rung) => sum + referenceFrameBytes(rung.width, rung.height), 0);
    const written = references(plan({ target: true }), 25 * frameBytes)!;
    expect(written.viewed).toMatchObject({ sampleEvery: 2 });
    expect(written.fidelity).toMatchObject({ sampleEvery: 3 });
  });
});
