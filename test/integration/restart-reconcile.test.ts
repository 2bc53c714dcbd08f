/**
 * Nothing uploaded while the runner is down is lost: at start, the reconcile pass hands every
 * upload without a manifest to the splitter, and only those: an upload whose job already ended
 * (its manifest is there) is not run again.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { jobIdFor } from '../../shared/job-id.ts';
import { keys } from '../../shared/keys.ts';
import { imageFixture } from '../../fixtures/images.ts';
import { startEmbeddedS3 } from '../../infra/local/storage/embedded-s3.ts';
import { startMinio } from '../../infra/local/storage/minio-server.ts';
import type { StorageHost } from '../../infra/local/storage/storage-host.ts';
import { startTestStack, waitForManifest } from '../support/pipeline-harness.ts';
import { s3ClientFor } from '../support/storage-client.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-restart-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An upload made with a plain S3 client while no runner listens. */
async function uploadWhileRunnerIsDown(storage: StorageHost, key: string) {
  const s3 = s3ClientFor(storage);
  const body = await readFile(await imageFixture('small.png'));
  const put = await s3.send(new PutObjectCommand({ Bucket: 'fanout-input', Key: key, Body: body }));
  return jobIdFor({ bucket: 'fanout-input', key, versionId: put.VersionId, etag: put.ETag?.replace(/"/g, '') });
}

/** An upload whose job already ended: its manifest is in the renditions bucket. */
async function uploadWithItsManifest(storage: StorageHost, key: string) {
  const s3: S3Client = s3ClientFor(storage);
  const jobId = await uploadWhileRunnerIsDown(storage, key);
  await s3.send(new PutObjectCommand({ Bucket: 'fanout-renditions', Key: keys.manifest(jobId), Body: '{}' }));
}

describe('an upload made while the runner is stopped', () => {
  it('is processed when the runner starts again (a MinIO that keeps running)', async () => {
    const stateDir = await tempDir();
    const minio = await startMinio({ dataDir: join(stateDir, 'shared-minio') });
    cleanups.push(() => minio.stop());
    const externalMinio = { endpoint: minio.endpoint, ...minio.credentials };

    const first = await startTestStack({ externalMinio, stateDir });
    await first.stop();
    await uploadWithItsManifest(minio, 'done-before/photo.png');
    const jobId = await uploadWhileRunnerIsDown(minio, 'while-down/photo.png');

    const second = await startTestStack({ externalMinio, stateDir });
    cleanups.push(() => second.stop());
    expect(second.stack.reconciled).toEqual(['while-down/photo.png']);
    expect((await waitForManifest(second.stack, jobId)).status).toBe('succeeded');
  });

  it('is processed when the runner starts again (the embedded server)', async () => {
    const stateDir = await tempDir();
    const first = await startTestStack({ storage: 'embedded', stateDir });
    await first.stop();
    const bare = await startEmbeddedS3({ dataDir: join(stateDir, 'embedded-s3'), onObjectCreated: () => {} });
    await uploadWithItsManifest(bare, 'done-before/photo.png');
    const jobId = await uploadWhileRunnerIsDown(bare, 'while-down/photo.png');
    await bare.stop();

    const second = await startTestStack({ storage: 'embedded', stateDir });
    cleanups.push(() => second.stop());
    expect(second.stack.reconciled).toEqual(['while-down/photo.png']);
    expect((await waitForManifest(second.stack, jobId)).status).toBe('succeeded');
  });
});
