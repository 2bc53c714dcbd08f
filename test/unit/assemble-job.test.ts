import { tmpdir } from 'node:os';
import { beforeEach, describe, expect, it } from 'vitest';
import { assembleJob } from '../../functions/assembler/assemble-job.ts';
import { Manifest } from '../../shared/contracts/manifest.ts';
import type { AssembleInput, SplitResult } from '../../shared/contracts/work-plan.ts';
import { InputRejectedError, TransientError, toLambdaErrorPayload } from '../../shared/errors.ts';
import { keys } from '../../shared/keys.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

const upload = { bucket: 'in', key: 'cat.jpg', size: 1000 };
const started = { jobId: 'cat-0123', upload, uploadedAt: '2025-12-31T23:59:59.000Z', receivedAt: '2026-01-01T00:00:00.000Z' };
const splitResult: SplitResult = {
  jobId: 'cat-0123',
  source: { ...upload, mediaType: 'image', format: 'jpeg', width: 800, height: 600 },
  startedAt: '2026-01-01T00:00:00.500Z',
  splitMs: 40,
  outcome: 'accepted',
  imageTasks: [],
};
const plan: AssembleInput = { ...started, plan: splitResult };
const planned = (changes: Partial<SplitResult>): AssembleInput => ({ ...started, plan: { ...splitResult, ...changes } });
const results = (imageResults: NonNullable<AssembleInput['results']>['imageResults']) => ({ chunkResults: [], audioResults: [], imageResults });
const rendition = (width: number) => ({ kind: 'image' as const, role: 'image' as const, key: keys.imageRendition('cat-0123', width, 'webp'), format: 'webp' as const, width, height: width * 0.75, bytes: 100 });
const caught = (error: Error) => ({ Error: error.name, Cause: JSON.stringify(toLambdaErrorPayload(error)) });

let store: MemoryObjectStore;
const now = () => new Date('2026-01-01T00:00:02.500Z');
beforeEach(() => {
  store = new MemoryObjectStore();
});

async function manifestAfter(input: AssembleInput): Promise<Manifest> {
  const result = await assembleJob(input, { store, renditionsBucket: 'out', workBucket: 'work', tmpDir: tmpdir(), cost: { host: 'local' }, now });
  expect(result.manifestKey).toBe(keys.manifest(input.jobId));
  return Manifest.parse(await store.getJson({ bucket: 'out', key: result.manifestKey }));
}

describe('assembleJob', () => {
  it('lists every rendition and the time each step took for a job that succeeded', async () => {
    const manifest = await manifestAfter({ ...plan, results: results([320, 640].map((width) => ({ width, renditions: [rendition(width)], durationMs: width, attempts: width === 640 ? 2 : 1 }))) });
    expect(manifest).toMatchObject({ status: 'succeeded', renditions: [rendition(320), rendition(640)] });
    expect(manifest.timings).toMatchObject({ steps: [{ step: 'resize', label: 'image 320w', ms: 320, attempts: 1 }, { step: 'resize', label: 'image 640w', ms: 640, attempts: 2 }] });
  });

  it('times target mode’s CRF searches beside the encodes', async () => {
    const searched = { probeResults: [{ kind: 'probe' as const, index: 0, durationMs: 900, attempts: 1 }], chunkResults: [{ kind: 'chunk' as const, index: 0, durationMs: 1500, attempts: 1 }], audioResults: [], imageResults: [] };
    const manifest = await manifestAfter({ ...plan, results: searched });
    expect(manifest.timings.steps).toEqual([{ step: 'encode', label: 'CRF search 0', ms: 900, attempts: 1 }, { step: 'encode', label: 'chunk 0', ms: 1500, attempts: 1 }]);
  });

  it('counts the time from the upload, and the queue wait before the split apart from the work', async () => {
    const manifest = await manifestAfter({ ...plan, results: results([]) });
    expect(manifest.timings).toMatchObject({ uploadedAt: started.uploadedAt, receivedAt: started.receivedAt, totalMs: 3500, queuedMs: 1500, splitMs: 40 });
  });

  it('records the splitter’s rejection with its code', async () => {
    const manifest = await manifestAfter(planned({ outcome: 'rejected', error: { code: 'EMPTY_INPUT', message: 'the uploaded file is empty (0 bytes)' } }));
    expect(manifest).toMatchObject({ status: 'rejected', error: { code: 'EMPTY_INPUT' }, renditions: [] });
  });

  it('records a plan the splitter could not finish as a failed job, with its code', async () => {
    const manifest = await manifestAfter(planned({ outcome: 'failed', error: { code: 'TASK_TIMED_OUT', message: 'the splitter ran out of time before the job was planned' } }));
    expect(manifest).toMatchObject({ status: 'failed', error: { code: 'TASK_TIMED_OUT' }, renditions: [] });
  });

  it('turns a rejection found during the fan-out into a rejected job and removes its partial renditions', async () => {
    store.put('out', rendition(320).key, 'partial');
    store.put('out', 'other-job/image/320w.webp', 'keep');
    const manifest = await manifestAfter({ ...plan, failure: caught(new InputRejectedError('CORRUPT_INPUT', 'image data is truncated')) });
    expect(manifest).toMatchObject({ status: 'rejected', error: { code: 'CORRUPT_INPUT', message: 'image data is truncated' }, renditions: [] });
    expect(store.keys('out').sort()).toEqual([keys.manifest('cat-0123'), 'other-job/image/320w.webp']);
  });

  it('marks a job failed when retries of a transient error ran out', async () => {
    const manifest = await manifestAfter({ ...plan, failure: caught(new TransientError('STORAGE_UNAVAILABLE', 'S3 answered 503')) });
    expect(manifest).toMatchObject({ status: 'failed', error: { code: 'STORAGE_UNAVAILABLE' } });
  });

  it('clears the job’s work objects, whatever the outcome', async () => {
    store.put('work', 'cat-0123/segments/00000.mkv', 'segment');
    store.put('work', 'other-job/plan.json', '{}');
    await manifestAfter(planned({ outcome: 'rejected', error: { code: 'EMPTY_INPUT', message: 'empty' } }));
    expect(store.keys('work')).toEqual(['other-job/plan.json']);
  });

  it('records a split that crashed past its retries (no plan, a caught failure) as failed, with the upload as its source', async () => {
    const crash = { Error: 'Runtime.ExitError', Cause: JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: 'RequestId: 1 Error: Runtime exited with error: signal: killed' }) };
    const manifest = await manifestAfter({ ...started, failure: crash });
    expect(manifest).toMatchObject({ status: 'failed', error: { code: 'WORKER_CRASHED' }, source: upload, renditions: [] });
    expect(manifest.timings).toMatchObject({ splitMs: 0, steps: [] });
  });

  it('writes the manifest before any clean-up, so storage failing half-way leaves the upload its answer', async () => {
    store.put('out', rendition(320).key, 'partial');
    const failingCleanup = Object.assign(Object.create(store) as MemoryObjectStore, {
      deletePrefix: async () => {
        throw new TransientError('STORAGE_UNAVAILABLE', 'connection refused');
      },
    });
    const input = { ...plan, failure: caught(new TransientError('STORAGE_UNAVAILABLE', 'S3 answered 503')) };
    await expect(assembleJob(input, { store: failingCleanup, renditionsBucket: 'out', workBucket: 'work', tmpDir: tmpdir(), cost: { host: 'local' }, now })).rejects.toThrow(TransientError);
    expect(Manifest.parse(await store.getJson({ bucket: 'out', key: keys.manifest('cat-0123') }))).toMatchObject({ status: 'failed' });
  });

  it('leaves a manifest written first (the finalizer\'s, after a stop) standing, and clears what it would have listed', async () => {
    const failed = { schemaVersion: 1, jobId: 'cat-0123', status: 'failed', source: upload, error: { code: 'INTERNAL', message: 'the execution was stopped before the job finished' }, renditions: [], timings: { receivedAt: started.receivedAt, finishedAt: started.receivedAt, totalMs: 0, splitMs: 0, assembleMs: 0, steps: [] } };
    await store.putJson({ bucket: 'out', key: keys.manifest('cat-0123') }, failed);
    store.put('out', rendition(320).key, 'rendered after the stop');

    const result = await assembleJob({ ...plan, results: results([{ width: 320, renditions: [rendition(320)], durationMs: 1, attempts: 1 }]) }, { store, renditionsBucket: 'out', workBucket: 'work', tmpDir: tmpdir(), cost: { host: 'local' }, now });

    expect(result.status).toBe('failed');
    expect(Manifest.parse(await store.getJson({ bucket: 'out', key: keys.manifest('cat-0123') }))).toMatchObject({ status: 'failed', error: { code: 'INTERNAL' } });
    expect(store.keys('out')).toEqual([keys.manifest('cat-0123')]);
  });
});
