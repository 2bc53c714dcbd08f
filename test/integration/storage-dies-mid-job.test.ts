/**
 * The stack's MinIO dies while a video encodes: the upload still ends with a manifest (it
 * succeeds once the supervisor has MinIO back and the retries go through, or fails with a
 * code), never lost; and the same holds when `fanout dev` itself is stopped in the middle and
 * started again on the same state.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { videoFixture } from '../../fixtures/videos.ts';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { minioPidsFor } from '../support/minio-pids.ts';
import { historyOf, putUpload, startTestStack, waitForManifest, type TestStack } from '../support/pipeline-harness.ts';

const CHUNKING = { CHUNK_SECONDS: '1', SEGMENT_SECONDS: '1', GOP_SECONDS: '1', X264_PRESET: 'ultrafast' };
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stackIn(stateDir: string, lines: string[] = []): Promise<TestStack> {
  const harness = await startTestStack({ storage: 'minio', stateDir, concurrency: 1, functionEnvironment: { splitter: CHUNKING }, log: (line) => lines.push(line) });
  cleanups.push(() => harness.stop());
  return harness;
}

/** Resolves once the job's first chunk encode has started: the fan-out is under way. */
async function untilEncoding(harness: TestStack, jobId: string): Promise<void> {
  for (let tries = 0; tries < 1200; tries++) {
    const history = await historyOf(harness.stack, jobId).catch(() => []);
    if (history.some((event) => event.stateEnteredEventDetails?.name === 'EncodeChunk')) return;
    await sleep(50);
  }
  throw new Error('the fan-out never started');
}

function expectEnded(manifest: Manifest): void {
  expect(['succeeded', 'failed']).toContain(manifest.status);
  if (manifest.status === 'failed') expect(manifest.error?.code).toMatch(/^[A-Z_]+$/);
  else expect(manifest.renditions.some((rendition) => rendition.kind === 'video')).toBe(true);
}

describe('MinIO killed mid-job', () => {
  it('leaves the upload its manifest while the stack runs on', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'fanout-storage-dies-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const lines: string[] = [];
    const harness = await stackIn(stateDir, lines);
    const { jobId } = await putUpload(harness.stack, await videoFixture('h264.mp4'), 'killed/clip.mp4');
    await untilEncoding(harness, jobId);

    const [pid] = await minioPidsFor(join(stateDir, 'minio-data'));
    process.kill(pid!, 'SIGKILL');

    expectEnded(await waitForManifest(harness.stack, jobId, 240_000));
    expect(lines.join('\n')).toMatch(/MinIO exited \(signal SIGKILL\); restarted/);
  }, 300_000);

  it('leaves the upload its manifest across a restart of the stack', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'fanout-storage-dies-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const first = await stackIn(stateDir);
    const { jobId } = await putUpload(first.stack, await videoFixture('h264.mp4'), 'killed-then-restarted/clip.mp4');
    await untilEncoding(first, jobId);

    const [pid] = await minioPidsFor(join(stateDir, 'minio-data'));
    process.kill(pid!, 'SIGKILL');
    await first.stop();
    cleanups.pop();

    const second = await stackIn(stateDir);
    expectEnded(await waitForManifest(second.stack, jobId, 240_000));
  }, 300_000);
});
