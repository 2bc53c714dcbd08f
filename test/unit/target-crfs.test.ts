/**
 * rungsForChunk: what a chunk task of target mode encodes each rung at, from the CRF searches of
 * its neighbours (an in-memory store holds them). The pure smoothing is table-tested in
 * smooth-crfs.test.ts; this checks the wiring: the searched CRFs smoothed within a shot, the
 * plan's scene cuts as shot boundaries, and the rung's VBV cap kept.
 */
import { describe, expect, it } from 'vitest';
import { rungsForChunk } from '../../functions/encoder/target-crfs.ts';
import type { CrfSearchReport } from '../../shared/contracts/quality.ts';
import type { MediaPlan } from '../../shared/contracts/work-plan.ts';
import { TransientError } from '../../shared/errors.ts';
import { keys } from '../../shared/keys.ts';
import { testMediaPlan, TEST_RUNGS } from '../support/media-plan.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

const RUNGS = TEST_RUNGS;

/** Four 2 s chunks; `sceneCuts` as the splitter planned them. */
const plan = (sceneCuts: number[]): MediaPlan => testMediaPlan({ chunks: 4, sceneCuts, qualityTarget: { metric: 'ssim', value: 0.98 } });

/** Each chunk's searched CRF per rung. */
async function storeWithSearches(crfs: Record<string, number[]>): Promise<MemoryObjectStore> {
  const store = new MemoryObjectStore();
  for (let index = 0; index < 4; index++) {
    const report: CrfSearchReport = {
      index,
      target: { metric: 'ssim', value: 0.98 },
      rungs: RUNGS.map((rung) => ({ rung: rung.name, crf: crfs[rung.name]![index]!, probes: [], reached: true })),
      searchCpuMs: 0,
    };
    await store.putJson({ bucket: 'work', key: keys.crfSearch('clip-0123', index) }, report);
  }
  return store;
}

const SEARCHED = { '480p': [20, 32, 32, 32], '360p': [30, 30, 30, 18] };

describe('rungsForChunk (target mode)', () => {
  it('encodes each rung at its smoothed CRF, keeping the rung’s VBV cap', async () => {
    const store = await storeWithSearches(SEARCHED);
    const rungs = await rungsForChunk(plan([]), 1, { store, workBucket: 'work' });
    // 480p: chunk 0 found 20, so chunk 1 comes down to 22; 360p: chunk 3 found 18, two chunks away: 22.
    expect(rungs).toEqual([
      { ...RUNGS[0], crf: 22 },
      { ...RUNGS[1], crf: 22 },
    ]);
  });

  it('does not smooth across a scene cut on a chunk boundary', async () => {
    const store = await storeWithSearches(SEARCHED);
    const rungs = await rungsForChunk(plan([4]), 1, { store, workBucket: 'work' });
    expect(rungs.map((rung) => rung.crf)).toEqual([22, 30]);
    const after = await rungsForChunk(plan([4]), 2, { store, workBucket: 'work' });
    expect(after.map((rung) => rung.crf)).toEqual([32, 20]);
  });

  it('names a missing CRF search, retryable, with the chunk and key in its message (it was a schema error)', async () => {
    const store = await storeWithSearches(SEARCHED);
    await store.deletePrefix('work', keys.crfSearch('clip-0123', 2));
    const failure = await rungsForChunk(plan([]), 1, { store, workBucket: 'work' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransientError);
    expect(failure).toMatchObject({ name: 'TransientError', retryable: true, code: 'STORAGE_UNAVAILABLE' });
    expect((failure as Error).message).toContain(`no CRF search for chunk 2 (${keys.crfSearch('clip-0123', 2)})`);
  });

  it('leaves the plan’s rungs alone without a target', async () => {
    const { qualityTarget: _, ...fixed } = plan([]);
    expect(await rungsForChunk(fixed, 1, { store: new MemoryObjectStore(), workBucket: 'work' })).toEqual(RUNGS);
  });
});
