/** The assembler reads every chunk's quality report: one missing is a retryable failure, never a rendition without its quality. */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { assembleMedia } from '../../functions/assembler/assemble-media.ts';
import type { ChunkReport } from '../../shared/contracts/quality.ts';
import { TransientError } from '../../shared/errors.ts';
import { keys } from '../../shared/keys.ts';
import { testMediaPlan, TEST_RUNGS } from '../support/media-plan.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

const plan = testMediaPlan({ chunks: 2, rungs: [TEST_RUNGS[1]!] });

const report = (index: number): ChunkReport => ({
  index,
  metric: 'ssim',
  rungs: [{ rung: '360p', crf: 25, bytes: 1000, frames: 60, viewed: { mean: 0.98, minFrame: 0.97, frames: 60 } }],
  measureCpuMs: 10,
  encodeCpuMs: 100,
});

describe('assembleMedia with quality measured', () => {
  it('fails retryably (TransientError) when a chunk has no report, before it joins anything', async () => {
    const store = new MemoryObjectStore();
    await store.putJson({ bucket: 'work', key: keys.chunkReport(plan.jobId, 0) }, report(0));
    const failure = assembleMedia(plan, { store, workBucket: 'work', renditionsBucket: 'out', tmpDir: tmpdir() });
    await expect(failure).rejects.toThrow(TransientError);
    await expect(failure).rejects.toThrow(/chunk 1 of clip-0123 has no quality report/);
    expect(store.keys('out')).toEqual([]);
  });

  it('refuses a report that is not a report', async () => {
    const store = new MemoryObjectStore();
    await store.putJson({ bucket: 'work', key: keys.chunkReport(plan.jobId, 0) }, report(0));
    await store.putJson({ bucket: 'work', key: keys.chunkReport(plan.jobId, 1) }, { index: 1, metric: 'ssim' });
    await expect(assembleMedia(plan, { store, workBucket: 'work', renditionsBucket: 'out', tmpDir: tmpdir() })).rejects.toThrow(/rungs/);
  });
});
