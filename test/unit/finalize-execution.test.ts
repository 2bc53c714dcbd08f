import { beforeEach, describe, expect, it } from 'vitest';
import { ExecutionStatusChange, finalizeExecution } from '../../functions/finalizer/finalize-execution.ts';
import { JobEvent } from '../../shared/contracts/job-event.ts';
import { Manifest } from '../../shared/contracts/manifest.ts';
import type { JobEventPublisher } from '../../shared/job-events/job-event-publisher.ts';
import { InputRejectedError, toLambdaErrorPayload, TransientError } from '../../shared/errors.ts';
import { keys } from '../../shared/keys.ts';
import { priceJob } from '../../shared/job-cost.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

const upload = { bucket: 'in', key: 'clip.mp4', size: 1000, etag: 'abc' };
const input = { jobId: 'clip-0123', upload, uploadedAt: '2026-12-03T08:00:00.000Z', receivedAt: '2026-12-03T08:00:01.000Z' };

function ended(status: 'RUNNING' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'SUCCEEDED', extra: { error?: string; cause?: string; input?: string } = {}) {
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

  it('puts the cost read from the execution\'s history in the manifest it writes, and writes the manifest without one when the history cannot be read', async () => {
    const cost = priceJob({ invocations: [{ fn: 'splitter', memoryMiB: 2048, durationMs: 1500, attempts: 1 }], transitions: 4, host: 'aws' });
    const asked: string[] = [];
    const costOf = async (executionArn: string) => (asked.push(executionArn), cost);
    await finalizeExecution(ended('TIMED_OUT'), { ...deps(), costOf });
    expect(asked).toEqual(['arn:aws:states:us-east-1:1:execution:p:clip-0123']);
    expect((await manifest()).cost).toEqual(cost);

    store = new MemoryObjectStore();
    expect(await finalizeExecution(ended('TIMED_OUT'), { ...deps(), costOf: async () => undefined })).toBe('written-failed');
    expect((await manifest()).cost).toBeUndefined();
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

  it('writes nothing for a succeeded execution whose manifest is gone (a deleted job), or one whose input is not a job of ours', async () => {
    const published = new RecordingPublisher();
    expect(await finalizeExecution(ended('SUCCEEDED'), { ...deps(), publisher: published })).toBe('no-manifest');
    expect(await finalizeExecution(ended('FAILED', { input: '{"hand":"started"}' }), { ...deps(), publisher: published })).toBe('not-a-job');
    expect(await finalizeExecution(ended('RUNNING', { input: '{"hand":"started"}' }), { ...deps(), publisher: published })).toBe('not-a-job');
    expect(store.keys('out')).toEqual([]);
    expect(published.events).toEqual([]);
  });
});

/** The publisher port in memory: it keeps what it is given, and fails the next `failures` calls. */
class RecordingPublisher implements JobEventPublisher {
  readonly events: JobEvent[] = [];
  private failures: number;
  constructor(failures = 0) {
    this.failures = failures;
  }
  async publish(event: JobEvent): Promise<void> {
    if (this.failures-- > 0) throw new TransientError('EVENTS_UNAVAILABLE', 'throttled');
    this.events.push(JobEvent.parse(event));
  }
}

describe('finalizeExecution announces the job', () => {
  const assembled = (status: 'succeeded' | 'rejected') =>
    store.putJson({ bucket: 'out', key: keys.manifest('clip-0123') }, {
      schemaVersion: 1, jobId: 'clip-0123', status, source: upload, renditions: [],
      ...(status === 'rejected' ? { error: { code: 'CORRUPT_INPUT', message: 'bad' } } : {}),
      timings: { receivedAt: input.receivedAt, finishedAt: '2026-12-03T08:05:00.000Z', totalMs: 300_000, splitMs: 0, assembleMs: 0, steps: [] },
    });

  it('publishes job.started for a RUNNING execution, at its start, and writes nothing', async () => {
    const published = new RecordingPublisher();
    const started = ExecutionStatusChange.parse({ ...ended('RUNNING'), detail: { ...ended('RUNNING').detail, startDate: Date.parse('2026-12-03T08:00:02.000Z'), stopDate: null } });
    expect(await finalizeExecution(started, { ...deps(), publisher: published })).toBe('started');
    expect(published.events).toMatchObject([{ id: 'job.started.clip-0123', type: 'job.started', timestamp: '2026-12-03T08:00:02.000Z', data: { jobId: 'clip-0123', status: 'running' } }]);
    expect(store.keys('out')).toEqual([]);
  });

  it.each([
    ['SUCCEEDED', 'succeeded', 'job.succeeded'],
    ['FAILED', 'rejected', 'job.rejected'],
  ] as const)('publishes the ended event the standing manifest says: %s execution, %s manifest -> %s', async (status, manifestStatus, type) => {
    await assembled(manifestStatus);
    const published = new RecordingPublisher();
    expect(await finalizeExecution(ended(status), { ...deps(), publisher: published })).toBe('had-manifest');
    expect(published.events).toMatchObject([{ id: `${type}.clip-0123`, type, data: { status: manifestStatus, manifestKey: keys.manifest('clip-0123') } }]);
  });

  it('publishes job.failed with the error of the manifest it wrote', async () => {
    const published = new RecordingPublisher();
    await finalizeExecution(ended('TIMED_OUT'), { ...deps(), publisher: published });
    expect(published.events).toMatchObject([{ id: 'job.failed.clip-0123', type: 'job.failed', data: { status: 'failed', error: { code: 'TASK_TIMED_OUT' } } }]);
  });

  it('throws when the publish fails, after writing the manifest; the retry sends the same event', async () => {
    const published = new RecordingPublisher(1);
    await expect(finalizeExecution(ended('ABORTED'), { ...deps(), publisher: published })).rejects.toThrow(TransientError);
    expect((await manifest()).status).toBe('failed');

    expect(await finalizeExecution(ended('ABORTED'), { ...deps(), publisher: published, now: () => new Date('2030-01-01T00:00:00Z') })).toBe('had-manifest');
    expect(published.events).toMatchObject([{ id: 'job.failed.clip-0123', timestamp: '2026-12-03T08:10:00.000Z' }]);
  });
});
