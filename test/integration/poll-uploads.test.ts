/**
 * The polling trigger against a real S3 server that raises no events (the embedded s3rver with
 * its events dropped): each new upload, and each overwrite, is announced once; what was there
 * before polling started is left to the reconcile pass.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadsIn } from '../../shared/contracts/upload-event.ts';
import { startEmbeddedS3 } from '../../infra/local/storage/embedded-s3.ts';
import { pollUploads, type UploadPoller } from '../../infra/local/storage/poll-uploads.ts';
import type { StorageHost } from '../../infra/local/storage/storage-host.ts';
import { s3ClientFor } from '../support/storage-client.ts';

const BUCKET = 'fanout-input';

describe('pollUploads against a store without notifications', () => {
  let dataDir: string;
  let host: StorageHost;
  let s3: S3Client;
  let poller: UploadPoller;
  const announced: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fanout-poll-'));
    host = await startEmbeddedS3({ dataDir, onObjectCreated: () => {} });
    s3 = s3ClientFor(host);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'before/photo.png', Body: 'old bytes' }));
    poller = pollUploads({
      s3,
      bucket: BUCKET,
      intervalMs: 200,
      onUpload: (event) => announced.push(...uploadsIn(event).map((upload) => `${upload.key}@${upload.etag}`)),
    });
    await poller.ready;
  });

  afterAll(async () => {
    await poller?.stop();
    s3?.destroy();
    await host?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('announces an upload made while it polls, once, with its ETag', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'new dir/my photo+1.png', Body: 'new bytes' }));
    const expected = `new dir/my photo+1.png@${put.ETag?.replace(/"/g, '')}`;

    await expect.poll(() => announced, { timeout: 5_000 }).toContain(expected);
    await new Promise((resolve) => setTimeout(resolve, 600)); // three more polls
    expect(announced.filter((entry) => entry === expected)).toHaveLength(1);
    expect(announced.some((entry) => entry.startsWith('before/'))).toBe(false);
  });

  it('announces an overwrite with other bytes, and a key deleted and uploaded again', async () => {
    const overwrite = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'before/photo.png', Body: 'newer bytes' }));
    await expect.poll(() => announced, { timeout: 5_000 }).toContain(`before/photo.png@${overwrite.ETag?.replace(/"/g, '')}`);

    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'before/photo.png' }));
    await new Promise((resolve) => setTimeout(resolve, 600));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'before/photo.png', Body: 'newer bytes' }));
    await expect.poll(() => announced.filter((entry) => entry.startsWith('before/')), { timeout: 5_000 }).toHaveLength(2);
  });
});

describe('pollUploads against a store that cannot list the bucket', () => {
  it('fails its start after a few tries instead of hanging it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fanout-poll-'));
    const host = await startEmbeddedS3({ dataDir, onObjectCreated: () => {} });
    const s3 = s3ClientFor(host);
    try {
      const errors: unknown[] = [];
      const poller = pollUploads({ s3, bucket: 'no-such-bucket', intervalMs: 50, onUpload: () => {}, onError: (error) => errors.push(error) });
      await expect(poller.ready).rejects.toThrow(/s3:\/\/no-such-bucket: the bucket could not be listed 3 times in a row/);
      await poller.stop();
      expect(errors).toHaveLength(2);
    } finally {
      s3.destroy();
      await host.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
