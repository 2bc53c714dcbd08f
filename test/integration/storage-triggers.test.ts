/**
 * Every kind of store starts jobs while the stack runs, and the stack's own MinIO survives its
 * process dying:
 * - a MinIO the user runs (MINIO_ENDPOINT): a queued webhook target set through its admin API;
 * - a store that cannot notify (an S3 server without MinIO's admin API): polling;
 * - the MinIO the stack started, SIGKILLed: restarted on the same port, its objects still there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { imageFixture } from '../../fixtures/images.ts';
import { startEmbeddedS3 } from '../../infra/local/storage/embedded-s3.ts';
import { startMinio } from '../../infra/local/storage/minio-server.ts';
import { minioPidsFor } from '../support/minio-pids.ts';
import { putUpload, startTestStack, waitForManifest } from '../support/pipeline-harness.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-triggers-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('upload events while the stack runs', () => {
  it('a MinIO the user runs (MINIO_ENDPOINT): an upload is processed without a restart of the stack', async () => {
    const dir = await tempDir();
    const minio = await startMinio({ dataDir: join(dir, 'their-minio') });
    cleanups.push(() => minio.stop());
    const lines: string[] = [];
    const { stack, stop } = await startTestStack({ externalMinio: { endpoint: minio.endpoint, ...minio.credentials }, stateDir: join(dir, 'state'), log: (line) => lines.push(line) });
    cleanups.push(stop);

    const { jobId } = await putUpload(stack, await imageFixture('small.png'), 'live/photo.png');

    // The queued target's sender ticks every 3 s (the rest is the job itself, on a busy machine);
    // no reconcile pass runs in between.
    expect((await waitForManifest(stack, jobId, 45_000)).status).toBe('succeeded');
    expect(stack.reconciled).toEqual([]);
    expect(lines.join('\n')).toMatch(/arrive as events from/);
    expect(lines.join('\n')).not.toMatch(/polling/);
  });

  it('a store that cannot notify: the poll picks an upload up', async () => {
    const dir = await tempDir();
    // s3rver speaks S3 but not MinIO's admin API; its own events go nowhere here.
    const store = await startEmbeddedS3({ dataDir: join(dir, 'store'), onObjectCreated: () => {} });
    cleanups.push(() => store.stop());
    const lines: string[] = [];
    const { stack, stop } = await startTestStack({ externalMinio: { endpoint: store.endpoint, ...store.credentials }, stateDir: join(dir, 'state'), pollIntervalMs: 500, log: (line) => lines.push(line) });
    cleanups.push(stop);

    const { jobId } = await putUpload(stack, await imageFixture('small.png'), 'polled/photo.png');

    expect((await waitForManifest(stack, jobId, 45_000)).status).toBe('succeeded');
    expect(lines.join('\n')).toMatch(/could not set a webhook target .*; polling s3:\/\/fanout-input every 0\.5 s/);
  });
});

describe("the stack's own MinIO", () => {
  it('is restarted on the same port when its process is killed, with the objects written before', async () => {
    const dir = await tempDir();
    const lines: string[] = [];
    const { stack, stop } = await startTestStack({ storage: 'minio', stateDir: dir, log: (line) => lines.push(line) });
    cleanups.push(stop);
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.deployment.buckets.renditions, Key: 'before-kill.txt', Body: 'still here' }));
    const [pid] = await minioPidsFor(join(dir, 'minio-data'));
    expect(pid).toBeDefined();

    process.kill(pid!, 'SIGKILL');

    const port = new URL(stack.storage.endpoint).port;
    await expect.poll(() => lines.join('\n'), { timeout: 20_000 }).toMatch(new RegExp(`storage: MinIO exited \\(signal SIGKILL\\); restarted on 127\\.0\\.0\\.1:${port}`));
    const [restarted] = await minioPidsFor(join(dir, 'minio-data'));
    expect(restarted).not.toBe(pid);
    const object = await stack.s3.send(new GetObjectCommand({ Bucket: stack.deployment.buckets.renditions, Key: 'before-kill.txt' }));
    expect(await object.Body!.transformToString()).toBe('still here');
    // A plain `kill` too: the pinned MinIO exits 0 on SIGTERM, which is no request of ours to stop.
    process.kill(restarted!, 'SIGTERM');
    await expect.poll(() => lines.join('\n'), { timeout: 20_000 }).toMatch(/storage: MinIO exited \(code 0\); restarted/);
    // And the trigger still works: an upload after the restart becomes a job.
    const { jobId } = await putUpload(stack, await imageFixture('small.png'), 'after-kill/photo.png');
    expect((await waitForManifest(stack, jobId, 45_000)).status).toBe('succeeded');
  });
});
