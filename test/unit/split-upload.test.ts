import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { beforeEach, describe, expect, it } from 'vitest';
import { splitUpload, type SplitDependencies } from '../../functions/splitter/split-upload.ts';
import { JobPlan } from '../../shared/contracts/job.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { keys } from '../../shared/keys.ts';
import { TransientError } from '../../shared/errors.ts';
import type { JobStarter } from '../../shared/workflow.ts';
import { imageFixture, type ImageFixtureName } from '../../fixtures/images.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

/** Records what the splitter starts, and answers like Step Functions does for a reused name. */
class RecordingJobStarter implements JobStarter {
  readonly started = new Map<string, unknown>();
  async start(name: string, input: unknown) {
    if (this.started.has(name)) return 'duplicate' as const;
    this.started.set(name, input);
    return 'started' as const;
  }
  async exists(name: string) {
    return this.started.has(name);
  }
}

let store: MemoryObjectStore;
let jobs: RecordingJobStarter;
let deps: SplitDependencies;

beforeEach(() => {
  store = new MemoryObjectStore();
  jobs = new RecordingJobStarter();
  deps = {
    store,
    jobs,
    tmpDir: tmpdir(),
    settings: {
      renditionsBucket: 'out',
      workBucket: 'work',
      imageWidths: [320, 640, 1280],
      imageFormats: ['webp', 'jpeg'],
      maxImagePixels: 50_000_000,
      maxInputBytes: 10_000_000,
      media: { maxDurationSeconds: 60, maxWidth: 1920, maxHeight: 1080, maxStreams: 4, chunkSeconds: 2, segmentSeconds: 2, gopSeconds: 1, preset: 'ultrafast', distributedMapThreshold: 2, thumbnails: 2, assemblerStorageBytes: 1024 ** 3 },
    },
  };
});

/** The same objects as `store`, but every download fails with `error`. */
function downloadsFailWith(error: Error): MemoryObjectStore {
  return Object.assign(Object.create(store) as MemoryObjectStore, {
    download: async () => {
      throw error;
    },
  });
}

async function uploadFixture(name: ImageFixtureName, key: string = name) {
  const body = await readFile(await imageFixture(name));
  store.put('in', key, body);
  return { bucket: 'in', key, size: body.length, etag: `etag-${name}` };
}

describe('splitUpload', () => {
  it('plans one Map item per width, capped at the source, and starts the job under its id', async () => {
    const upload = await uploadFixture('graphic.png', 'folder/My Graphic.png');
    const outcome = await splitUpload(upload, deps);

    expect(outcome).toMatchObject({ jobId: jobIdFor(upload), result: 'started' });
    const plan = JobPlan.parse(jobs.started.get(outcome.jobId));
    expect(plan).toMatchObject({ outcome: 'accepted', source: { mediaType: 'image', format: 'png', width: 800, height: 600, key: 'folder/My Graphic.png' } });
    expect(plan.imageTasks).toEqual(
      [320, 640, 800].map((width) => ({ jobId: outcome.jobId, source: { bucket: 'in', key: 'folder/My Graphic.png' }, role: 'image', width, formats: ['webp', 'jpeg'] })),
    );
  });

  it('keeps the plan small: keys and facts, never bytes', async () => {
    const outcome = await splitUpload(await uploadFixture('photo.jpg'), deps);
    expect(JSON.stringify(jobs.started.get(outcome.jobId)).length).toBeLessThan(4_000);
  });

  it.each<[ImageFixtureName, string]>([
    ['empty.jpg', 'EMPTY_INPUT'],
    ['not-an-image.jpg', 'UNSUPPORTED_MEDIA_TYPE'],
    ['vector.svg', 'UNSUPPORTED_MEDIA_TYPE'],
    ['pixel-flood.png', 'PIXEL_LIMIT_EXCEEDED'],
  ])('starts a rejected job for %s with %s and no tasks', async (fixture, code) => {
    const outcome = await splitUpload(await uploadFixture(fixture), deps);
    const plan = JobPlan.parse(jobs.started.get(outcome.jobId));
    expect(plan).toMatchObject({ outcome: 'rejected', error: { code }, imageTasks: [] });
  });

  it('rejects a file over the size limit before reading it', async () => {
    const upload = await uploadFixture('photo.jpg');
    const unreadable = Object.assign(downloadsFailWith(new Error('the bytes were read')), {
      readStart: async () => {
        throw new Error('the bytes were read');
      },
    });
    const outcome = await splitUpload(upload, { ...deps, store: unreadable, settings: { ...deps.settings, maxInputBytes: 1_000 } });
    expect(JobPlan.parse(jobs.started.get(outcome.jobId)).error?.code).toBe('INPUT_TOO_LARGE');
  });

  it('starts a failed job, not an error, when it runs out of time: the upload still gets its manifest', async () => {
    // An MP4's first box is all the sniffer reads: the deadline stops the job before anything else does.
    const body = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom\0\0\x02\0isomiso2', 'latin1')]);
    store.put('in', 'slow.mp4', body);
    const upload = { bucket: 'in', key: 'slow.mp4', size: body.length, etag: 'etag-slow' };

    const outcome = await splitUpload(upload, { ...deps, deadline: AbortSignal.abort() });

    expect(outcome.result).toBe('started');
    const plan = JobPlan.parse(jobs.started.get(outcome.jobId));
    expect(plan).toMatchObject({ outcome: 'failed', error: { code: 'TASK_TIMED_OUT' }, chunkTasks: [], imageTasks: [] });
    expect(store.keys('work')).toEqual([]);
  });

  it('starts a failed job with INTERNAL for an error it has no code for', async () => {
    const upload = await uploadFixture('photo.jpg');
    const outcome = await splitUpload(upload, { ...deps, store: downloadsFailWith(new RangeError('a bug')) });
    expect(JobPlan.parse(jobs.started.get(outcome.jobId))).toMatchObject({ outcome: 'failed', error: { code: 'INTERNAL', message: 'RangeError: a bug' } });
  });

  it('throws a transient error (storage unreachable) for Lambda to retry, and starts nothing', async () => {
    const upload = await uploadFixture('photo.jpg');
    const unreachable = downloadsFailWith(new TransientError('STORAGE_UNAVAILABLE', 's3://in/photo.jpg: connection reset'));
    await expect(splitUpload(upload, { ...deps, store: unreachable })).rejects.toThrow(TransientError);
    expect(jobs.started.size).toBe(0);
  });

  it('starts nothing for an upload whose job already ran or runs', async () => {
    const upload = await uploadFixture('small.png');
    await splitUpload(upload, deps);
    expect((await splitUpload(upload, deps)).result).toBe('duplicate');

    const finished = await uploadFixture('graphic.png');
    store.put('out', keys.manifest(jobIdFor(finished)), '{}');
    expect((await splitUpload(finished, deps)).result).toBe('duplicate');
    expect(jobs.started.size).toBe(1);
  });

  it('never starts a job for an object in the renditions bucket', async () => {
    store.put('out', 'job/image/320w.jpg', await readFile(await imageFixture('small.png')));
    const outcome = await splitUpload({ bucket: 'out', key: 'job/image/320w.jpg', size: 10 }, deps);
    expect(outcome.result).toBe('ignored');
    expect(jobs.started.size).toBe(0);
  });
});
