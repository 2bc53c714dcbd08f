import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { beforeEach, describe, expect, it } from 'vitest';
import { splitUpload, uploadedObject, type SplitDependencies } from '../../functions/splitter/split-upload.ts';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { SplitResult } from '../../shared/contracts/work-plan.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { TransientError } from '../../shared/errors.ts';
import { imageFixture, type ImageFixtureName } from '../../fixtures/images.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

let store: MemoryObjectStore;
let deps: SplitDependencies;

beforeEach(() => {
  store = new MemoryObjectStore();
  deps = {
    store,
    tmpDir: tmpdir(),
    settings: {
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

/** The execution input the starter would build for an upload. */
function split(upload: UploadRef, dependencies: SplitDependencies = deps) {
  return splitUpload({ jobId: jobIdFor(upload), upload, receivedAt: new Date().toISOString() }, dependencies);
}

async function uploadFixture(name: ImageFixtureName, key: string = name) {
  const body = await readFile(await imageFixture(name));
  store.put('in', key, body);
  return { bucket: 'in', key, size: body.length, etag: `etag-${name}` };
}

describe('splitUpload', () => {
  it('plans one Map item per width, capped at the source, reading the very upload its event named', async () => {
    const upload = await uploadFixture('graphic.png', 'folder/My Graphic.png');
    const plan = await split(upload);

    expect(plan).toMatchObject({ jobId: jobIdFor(upload), outcome: 'accepted', source: { mediaType: 'image', format: 'png', width: 800, height: 600, key: 'folder/My Graphic.png' } });
    expect(plan.imageTasks).toEqual(
      [320, 640, 800].map((width) => ({ jobId: plan.jobId, source: { bucket: 'in', key: 'folder/My Graphic.png', ifEtag: 'etag-graphic.png' }, role: 'image', width, formats: ['webp', 'jpeg'] })),
    );
  });

  it('keeps the plan small: keys and facts, never bytes', async () => {
    const plan = await split(await uploadFixture('photo.jpg'));
    expect(JSON.stringify(plan).length).toBeLessThan(4_000);
  });

  it.each<[ImageFixtureName, string]>([
    ['empty.jpg', 'EMPTY_INPUT'],
    ['not-an-image.jpg', 'UNSUPPORTED_MEDIA_TYPE'],
    ['vector.svg', 'UNSUPPORTED_MEDIA_TYPE'],
    ['pixel-flood.png', 'PIXEL_LIMIT_EXCEEDED'],
  ])('plans a rejected job for %s with %s and no tasks', async (fixture, code) => {
    const plan = await split(await uploadFixture(fixture));
    expect(plan).toMatchObject({ outcome: 'rejected', error: { code }, imageTasks: [] });
  });

  it('rejects a file over the size limit before reading it', async () => {
    const upload = await uploadFixture('photo.jpg');
    const unreadable = Object.assign(downloadsFailWith(new Error('the bytes were read')), {
      readStart: async () => {
        throw new Error('the bytes were read');
      },
    });
    const plan = await split(upload, { ...deps, store: unreadable, settings: { ...deps.settings, maxInputBytes: 1_000 } });
    expect(plan.error?.code).toBe('INPUT_TOO_LARGE');
  });

  it('plans a failed job, not an error, when it runs out of time: the upload still gets its manifest', async () => {
    // An MP4's first box is all the sniffer reads: the deadline stops the job before anything else does.
    const body = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom\0\0\x02\0isomiso2', 'latin1')]);
    store.put('in', 'slow.mp4', body);
    const upload = { bucket: 'in', key: 'slow.mp4', size: body.length, etag: 'etag-slow' };

    const plan = await split(upload, { ...deps, deadline: AbortSignal.abort() });

    expect(plan).toMatchObject({ outcome: 'failed', error: { code: 'TASK_TIMED_OUT' }, chunkTasks: [], imageTasks: [] });
    expect(store.keys('work')).toEqual([]);
  });

  it('plans a failed job with INTERNAL for an error it has no code for', async () => {
    const upload = await uploadFixture('photo.jpg');
    const plan = await split(upload, { ...deps, store: downloadsFailWith(new RangeError('a bug')) });
    expect(plan).toMatchObject({ outcome: 'failed', error: { code: 'INTERNAL', message: 'RangeError: a bug' } });
  });

  it('takes a file of exactly the size limit, refuses one byte more, and times its work', async () => {
    const upload = await uploadFixture('small.png');
    let clock = Date.parse('2026-12-03T08:00:00.000Z');
    const now = () => new Date((clock += 250));
    const atLimit = await split(upload, { ...deps, now, settings: { ...deps.settings, maxInputBytes: upload.size } });
    expect(atLimit).toMatchObject({ outcome: 'accepted', startedAt: '2026-12-03T08:00:00.250Z', splitMs: 250 });
    const over = await split(upload, { ...deps, settings: { ...deps.settings, maxInputBytes: upload.size - 1 } });
    expect(over.error?.code).toBe('INPUT_TOO_LARGE');
  });

  it('throws a transient error (storage unreachable) for the state machine to retry', async () => {
    const upload = await uploadFixture('photo.jpg');
    const unreachable = downloadsFailWith(new TransientError('STORAGE_UNAVAILABLE', 's3://in/photo.jpg: connection reset'));
    await expect(split(upload, { ...deps, store: unreachable })).rejects.toThrow(TransientError);
  });
});

describe('uploadedObject', () => {
  it.each<[string, UploadRef, object]>([
    ['a versioned upload: its version', { bucket: 'in', key: 'a.mp4', size: 1, versionId: 'v1', etag: 'e1' }, { bucket: 'in', key: 'a.mp4', versionId: 'v1' }],
    ['an unversioned upload: only while it has its ETag', { bucket: 'in', key: 'a.mp4', size: 1, etag: 'e1' }, { bucket: 'in', key: 'a.mp4', ifEtag: 'e1' }],
    ['an event with neither: the object as it is', { bucket: 'in', key: 'a.mp4', size: 1 }, { bucket: 'in', key: 'a.mp4' }],
  ])('reads %s', (_, upload, expected) => {
    expect(uploadedObject(upload)).toEqual(expected);
  });
});
