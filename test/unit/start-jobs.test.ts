import { describe, expect, it } from 'vitest';
import { startJobs } from '../../functions/starter/start-jobs.ts';
import { ExecutionInput } from '../../shared/contracts/execution-input.ts';
import { s3EventFor } from '../../shared/contracts/upload-event.ts';
import { TransientError } from '../../shared/errors.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import type { JobStarter } from '../../shared/workflow.ts';

/** Answers like Step Functions does for a name already used. */
class RecordingJobStarter implements JobStarter {
  readonly started = new Map<string, unknown>();
  async start(name: string, input: unknown) {
    if (this.started.has(name)) return 'duplicate' as const;
    this.started.set(name, input);
    return 'started' as const;
  }
}

const now = () => new Date('2026-12-03T08:00:00.000Z');
const upload = { bucket: 'in', key: 'folder/My Clip.mov', size: 1234, etag: 'abc', versionId: 'v1' };

describe('startJobs', () => {
  it('starts one execution per upload, named after its job id, with only what the event said', async () => {
    const jobs = new RecordingJobStarter();
    const started = await startJobs(s3EventFor(upload, new Date('2026-12-03T07:59:58.000Z')), { jobs, inputBucket: 'in', now });

    const jobId = jobIdFor(upload);
    expect(started).toEqual([{ jobId, key: upload.key, result: 'started' }]);
    expect(ExecutionInput.parse(jobs.started.get(jobId))).toEqual({ jobId, upload, uploadedAt: '2026-12-03T07:59:58.000Z', receivedAt: '2026-12-03T08:00:00.000Z' });
  });

  it('starts nothing new for a redelivered event: the execution name is the job id', async () => {
    const jobs = new RecordingJobStarter();
    await startJobs(s3EventFor(upload), { jobs, inputBucket: 'in', now });
    expect(await startJobs(s3EventFor(upload), { jobs, inputBucket: 'in', now })).toMatchObject([{ result: 'duplicate' }]);
    expect(jobs.started.size).toBe(1);
  });

  it('gives a new version of the same key a job of its own', async () => {
    const jobs = new RecordingJobStarter();
    await startJobs(s3EventFor(upload), { jobs, inputBucket: 'in', now });
    await startJobs(s3EventFor({ ...upload, versionId: 'v2', etag: 'def' }), { jobs, inputBucket: 'in', now });
    expect(jobs.started.size).toBe(2);
  });

  it('ignores an object in any other bucket: a notification misrouted onto the outputs must not recurse', async () => {
    const jobs = new RecordingJobStarter();
    const started = await startJobs(s3EventFor({ ...upload, bucket: 'out' }), { jobs, inputBucket: 'in', now });
    expect(started).toMatchObject([{ result: 'ignored' }]);
    expect(jobs.started.size).toBe(0);
  });

  it('starts every record it can, then throws the failure, so the event is retried whole', async () => {
    const jobs = new RecordingJobStarter();
    const flaky: JobStarter = {
      start: async (name, input) => (name.startsWith('b-') ? Promise.reject(new TransientError('WORKFLOW_UNAVAILABLE', 'throttled')) : jobs.start(name, input)),
    };
    const event = { Records: [...s3EventFor({ ...upload, key: 'a.mov' }).Records, ...s3EventFor({ ...upload, key: 'b.mov' }).Records] };
    await expect(startJobs(event, { jobs: flaky, inputBucket: 'in', now })).rejects.toThrow(TransientError);
    expect([...jobs.started.keys()]).toEqual([jobIdFor({ ...upload, key: 'a.mov' })]);
  });
});
