import { beforeEach, describe, expect, it } from 'vitest';
import { ExecutionStatusChange, finalizeExecution } from '../../functions/finalizer/finalize-execution.ts';
import { Manifest } from '../../shared/contracts/manifest.ts';
import { InputRejectedError, toLambdaErrorPayload, TransientError } from '../../shared/errors.ts';
import { keys } from '../../shared/keys.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

const upload = { bucket: 'in', key: 'clip.mp4', size: 1000, etag: 'abc' };
const input = { jobId: 'clip-0123', upload, uploadedAt: '2026-12-03T08:00:00.000Z', receivedAt: '2026-12-03T08:00:01.000Z' };

function ended(status: 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'SUCCEEDED', extra: { error?: string; cause?: string; input?: string } = {}) {
  return ExecutionStatusChange.parse({
    'detail-type': 'Step Functions Execution Status Change',
    detail: { executionArn: 'arn:aws:states:us-east-1:1:execution:p:clip-0123', name: 'clip-0123', status, stopDate: Date.parse('2026-12-03T08:10:00.000Z'), input: JSON.stringify(input), ...extra },
  });
}

let store: MemoryObjectStore;
const deps = () => ({ store, renditionsBucket: 'out', workBucket: 'work' });
const manifest = async () => Manifest.parse(await store.getJson({ bucket: 'out', key: keys.manifest('clip-0123') }));

beforeEach(() => {
  store = new MemoryObjectStore();
});

describe('finalizeExecution', () => {
  it.each([
    ['TIMED_OUT', {}, 'TASK_TIMED_OUT'],
    ['ABORTED', {}, 'INTERNAL'],
    ['FAILED', { error: 'TransientError', cause: JSON.stringify(toLambdaErrorPayload(new TransientError('STORAGE_UNAVAILABLE', 'connect ECONNREFUSED'))) }, 'STORAGE_UNAVAILABLE'],
    ['FAILED', { error: 'States.Runtime', cause: 'An error occurred' }, 'INTERNAL'],
  ] as const)('writes a failed manifest for a %s execution that has none (%o), with the code %s', async (status, extra, code) => {
    expect(await finalizeExecution(ended(status, extra), deps())).toBe('written-failed');
    expect(await manifest()).toMatchObject({ jobId: 'clip-0123', status: 'failed', error: { code }, source: upload, renditions: [], timings: { uploadedAt: input.uploadedAt, totalMs: 600_000 } });
  });

  it('writes a rejected manifest where the execution failed on the input\'s fault past the assembler', async () => {
    const cause = JSON.stringify(toLambdaErrorPayload(new InputRejectedError('CORRUPT_INPUT', 'image data is truncated')));
    expect(await finalizeExecution(ended('FAILED', { error: 'InputRejected', cause }), deps())).toBe('written-rejected');
    expect(await manifest()).toMatchObject({ status: 'rejected', error: { code: 'CORRUPT_INPUT' } });
  });

  it('clears partial renditions and work objects, and keeps the manifest', async () => {
    store.put('out', 'clip-0123/video/720p.mp4', 'partial');
    store.put('work', 'clip-0123/segments/00000.nut', 'segment');
    store.put('out', 'other/video/720p.mp4', 'keep');
    await finalizeExecution(ended('TIMED_OUT'), deps());
    expect(store.keys('out').sort()).toEqual([keys.manifest('clip-0123'), 'other/video/720p.mp4']);
    expect(store.keys('work')).toEqual([]);
  });

  it('leaves a manifest the assembler wrote as it is, and finishes its clean-up', async () => {
    await store.putJson({ bucket: 'out', key: keys.manifest('clip-0123') }, {
      schemaVersion: 1, jobId: 'clip-0123', status: 'rejected', source: upload, error: { code: 'CORRUPT_INPUT', message: 'bad' }, renditions: [],
      timings: { receivedAt: input.receivedAt, finishedAt: input.receivedAt, totalMs: 0, splitMs: 0, assembleMs: 0, steps: [] },
    });
    store.put('work', 'clip-0123/plan.json', '{}');
    expect(await finalizeExecution(ended('FAILED', { error: 'JobFailed' }), deps())).toBe('had-manifest');
    expect(await manifest()).toMatchObject({ status: 'rejected', error: { code: 'CORRUPT_INPUT' } });
    expect(store.keys('work')).toEqual([]);
  });

  it('does nothing for a succeeded execution, or one whose input is not a job of ours', async () => {
    expect(await finalizeExecution(ended('SUCCEEDED'), deps())).toBe('not-ended');
    expect(await finalizeExecution(ended('FAILED', { input: '{"hand":"started"}' }), deps())).toBe('not-a-job');
    expect(store.keys('out')).toEqual([]);
  });
});
