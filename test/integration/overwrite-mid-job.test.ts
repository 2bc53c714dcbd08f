/**
 * The same key written twice, 125 ms apart: each upload is a job of its own, and each job
 * renders the bytes its own event named, never the newer ones. MinIO keeps versions (as the
 * input bucket on AWS does); the embedded server does not, and there a job whose bytes were
 * replaced before it read them is refused (SOURCE_NOT_FOUND) rather than rendering the others.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { videoFixture } from '../../fixtures/videos.ts';
import { putUpload, startTestStack, waitForManifest, type TestStack } from '../support/pipeline-harness.ts';

const CHUNKING = { CHUNK_SECONDS: '2', SEGMENT_SECONDS: '2', GOP_SECONDS: '1', X264_PRESET: 'ultrafast', THUMBNAILS: '1' };

describe.each(['minio', 'embedded'] as const)('a key overwritten mid-job (%s)', (storage) => {
  let harness: TestStack;
  beforeAll(async () => {
    harness = await startTestStack({ storage, functionEnvironment: { splitter: CHUNKING } });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it("renders each upload's own bytes under its own job", async () => {
    // 6 s with sound, then 4 s without: which bytes a job rendered shows in its manifest.
    const first = await putUpload(harness.stack, await videoFixture('h264.mp4'), 'overwritten/clip.mp4');
    await sleep(125);
    const second = await putUpload(harness.stack, await videoFixture('video-only.mp4'), 'overwritten/clip.mp4');
    expect(first.jobId).not.toBe(second.jobId);

    const [older, newer] = await Promise.all([waitForManifest(harness.stack, first.jobId, 180_000), waitForManifest(harness.stack, second.jobId, 180_000)]);

    expectRendered(newer, { seconds: 4, audio: false });
    if (storage === 'minio') expectRendered(older, { seconds: 6, audio: true });
    else if (older.status === 'succeeded') expectRendered(older, { seconds: 6, audio: true });
    else expect(older).toMatchObject({ status: 'rejected', error: { code: 'SOURCE_NOT_FOUND' } });
  }, 240_000);
});

function expectRendered(manifest: Manifest, { seconds, audio }: { seconds: number; audio: boolean }): void {
  expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
  expect(manifest.source.durationSeconds).toBeCloseTo(seconds, 1);
  const video = manifest.renditions.find((rendition) => rendition.kind === 'video');
  expect(video?.durationSeconds).toBeCloseTo(seconds, 1);
  expect(manifest.source.audioCodec !== undefined).toBe(audio);
}
