/**
 * chunkQualityReferences (review): what a chunk's encode is told to write for its measurement,
 * from the plan: the plan's own as-viewed subsample, fidelity references only in target mode, and
 * the disk budget's subsample on both (planReferenceSampling is table-tested on its own).
 */
import { describe, expect, it } from 'vitest';
import { referenceFrameBytes } from '../../functions/encoder/plan-reference-sampling.ts';
import { chunkQualityReferences } from '../../functions/encoder/report-chunk-quality.ts';
import { MediaPlan } from '../../shared/contracts/work-plan.ts';

const RUNGS = [
  { name: '480p', width: 854, height: 480, crf: 24, maxrateKbps: 1200, bufsizeKbps: 2400 },
  { name: '360p', width: 640, height: 360, crf: 25, maxrateKbps: 700, bufsizeKbps: 1400 },
];

function plan({ sampleEvery = 1, target = false }: { sampleEvery?: number; target?: boolean }): MediaPlan {
  return MediaPlan.parse({
    jobId: 'clip-0123',
    rotation: 0,
    durationSeconds: 4,
    frameRate: 30,
    frameCount: 120,
    gopSeconds: 1,
    segmentSeconds: 2,
    preset: 'ultrafast',
    rungs: RUNGS,
    chunks: [0, 1].map((index) => ({ index, startSeconds: 2 * index, ...(index < 1 ? { endSeconds: 2 } : {}), cutFromSeconds: 2 * index, frames: 60, durationSeconds: 2 })),
    sceneCuts: [],
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
