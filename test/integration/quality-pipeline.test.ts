/**
 * Every rung's quality in the manifest is true: a real pipeline run (MinIO, the state machine,
 * worker processes) in 2 s chunks, and each delivered MP4 measured again, independently, with
 * ffmpeg's own ssim filter on the command line, scaled the same way (bicubic, to the reference).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, VideoRendition } from '../../shared/contracts/manifest.ts';
import { videoFixture } from '../../fixtures/videos.ts';
import { processFile } from '../support/pipeline-harness.ts';
import { ffmpegSsim, writeGrainySource } from '../support/quality-checks.ts';
import { useShortChunkStack } from '../support/video-checks.ts';

const { harness, download } = useShortChunkStack('fanout-quality-');
const videosOf = (manifest: Manifest) => manifest.renditions.filter((rendition): rendition is VideoRendition => rendition.kind === 'video');
const ffmpegVersion = /^ffmpeg version (\S+)/.exec(execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }))![1]!;

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-quality-source-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('an 854×480 source in three chunks', () => {
  let sourcePath: string;
  let manifest: Manifest;
  beforeAll(async () => {
    sourcePath = join(workDir, 'grainy.mp4');
    await writeGrainySource(sourcePath);
    manifest = await processFile(harness().stack, sourcePath, 'video/grainy.mp4');
  }, 180_000);

  it('reports each rung\'s quality as viewed, and the CRF of every chunk', () => {
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    expect(videosOf(manifest).map((video) => video.rung)).toEqual(['480p', '360p']);
    for (const video of videosOf(manifest)) {
      expect(video.quality).toMatchObject({ metric: 'ssim', frames: 180, sampleEvery: 1, reference: { width: 854, height: 480, scaler: 'bicubic' } });
      expect(video.quality!.min).toBeLessThanOrEqual(video.quality!.mean);
      expect(video.quality!.minFrame).toBeLessThanOrEqual(video.quality!.min);
      expect([0, 1, 2]).toContain(video.quality!.worstChunk);
      expect(video.crfs).toEqual(video.rung === '480p' ? [24, 24, 24] : [25, 25, 25]);
    }
    expect(manifest.ladder).toEqual({ mode: 'fixed', measuredWith: `ffmpeg ${ffmpegVersion} ssim`, dropped: [] });
  });

  it('matches ffmpeg\'s own ssim of each delivered MP4 within 0.005', async () => {
    for (const video of videosOf(manifest)) {
      const independent = await ffmpegSsim({ distortedPath: await download(video.key), sourcePath, width: 854, height: 480, flags: 'bicubic' });
      expect(Math.abs(video.quality!.mean - independent), `${video.rung}: manifest ${video.quality!.mean}, ffmpeg ${independent}`).toBeLessThan(0.005);
    }
  });
});

describe('a portrait phone video (stored landscape, turned by its display matrix)', () => {
  it('is measured upright at its displayed size, as ffmpeg (which autorotates) measures the delivered MP4', async () => {
    const sourcePath = await videoFixture('rotated.mp4');
    const manifest = await processFile(harness().stack, sourcePath, 'video/rotated.mp4');
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    const [video] = videosOf(manifest);
    expect(video!.quality).toMatchObject({ reference: { width: 360, height: 640 } });
    const independent = await ffmpegSsim({ distortedPath: await download(video!.key), sourcePath, width: 360, height: 640, flags: 'bicubic' });
    expect(Math.abs(video!.quality!.mean - independent), `manifest ${video!.quality!.mean}, ffmpeg ${independent}`).toBeLessThan(0.005);
  }, 120_000);
});
