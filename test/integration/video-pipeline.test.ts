/**
 * The video path end to end on a real MinIO: upload → splitter (probe, plan, cut) → chunks
 * encoded in parallel by real ffmpeg, audio once → assembler (MP4 + HLS) → manifest. The
 * ffmpeg module's own suite measures quality and seams in depth; this one checks what a user
 * downloads.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, VideoRendition } from '../../shared/contracts/manifest.ts';
import { videoFixture, type VideoFixtureName } from '../../fixtures/videos.ts';
import { hlsVariants, inspectStreams } from '../support/inspect-media.ts';
import { keysUnder, processFile, putUpload, waitForManifest } from '../support/pipeline-harness.ts';
import { frameIntervals, interlaceCounts, useShortChunkStack } from '../support/video-checks.ts';

const AAC_FRAME_SECONDS = 1024 / 48_000;

const { harness, download, downloadsDir } = useShortChunkStack('fanout-video-');
const stack = () => harness().stack;

const videosOf = (manifest: Manifest) => manifest.renditions.filter((rendition): rendition is VideoRendition => rendition.kind === 'video');

describe.each<{ fixture: VideoFixtureName; rungs: string[]; portrait?: boolean }>([
  { fixture: 'h264.mp4', rungs: ['360p'] },
  { fixture: 'odd-size.mp4', rungs: ['720p', '480p', '360p'] },
  { fixture: 'rotated.mp4', rungs: ['360p'], portrait: true },
  { fixture: 'long-gop.mp4', rungs: ['180p'] },
  { fixture: 'vfr.mp4', rungs: ['360p'] },
  { fixture: 'hevc.mov', rungs: ['360p'] },
  { fixture: 'vp9.webm', rungs: ['360p'] },
  { fixture: 'interlaced.mp4', rungs: ['360p'] },
])('$fixture', ({ fixture, rungs, portrait }) => {
  let manifest: Manifest;
  let source: Awaited<ReturnType<typeof inspectStreams>>;
  let encoderInvocations: number;
  beforeAll(async () => {
    const encodesBefore = stack().functionStats()['encoder']!.invocations;
    manifest = await processFile(stack(), await videoFixture(fixture), `video/${fixture}`);
    encoderInvocations = stack().functionStats()['encoder']!.invocations - encodesBefore;
    source = await inspectStreams(await videoFixture(fixture));
  });

  it('succeeds with one MP4 per rung, never above the source', () => {
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    expect(videosOf(manifest).map((video) => video.rung)).toEqual(rungs);
    for (const video of videosOf(manifest)) {
      expect(video.width % 2 + video.height % 2).toBe(0);
      if (portrait) expect(video.height).toBeGreaterThan(video.width);
    }
  });

  it('keeps every frame, the duration within one frame, and audio and video together', async () => {
    const sourceVideo = source.find((stream) => stream.codecType === 'video')!;
    const frameSeconds = sourceVideo.durationSeconds / sourceVideo.frames;
    for (const video of videosOf(manifest)) {
      const streams = await inspectStreams(await download(video.key));
      const outVideo = streams.find((stream) => stream.codecType === 'video')!;
      expect(outVideo.frames).toBe(sourceVideo.frames);
      expect(video.frames).toBe(sourceVideo.frames);
      expect(Math.abs(outVideo.durationSeconds - sourceVideo.durationSeconds)).toBeLessThanOrEqual(frameSeconds + 1e-3);
      const outAudio = streams.find((stream) => stream.codecType === 'audio');
      if (source.some((stream) => stream.codecType === 'audio')) {
        expect(Math.abs(outAudio!.durationSeconds - outVideo.durationSeconds)).toBeLessThanOrEqual(AAC_FRAME_SECONDS + 1e-3);
      }
    }
  });

  it('shows no timestamp jump at chunk boundaries', async () => {
    const sourceDeltas = await frameIntervals(await videoFixture(fixture));
    const outDeltas = await frameIntervals(await download(videosOf(manifest)[0]!.key));
    expect(outDeltas).toHaveLength(sourceDeltas.length);
    outDeltas.forEach((delta, index) => expect(Math.abs(delta - sourceDeltas[index]!)).toBeLessThan(0.002));
  });

  it('publishes an HLS master playlist that ffprobe reads with every variant', async () => {
    const hls = manifest.renditions.find((rendition) => rendition.kind === 'hls')!;
    const prefix = hls.key.slice(0, hls.key.lastIndexOf('/') + 1);
    for (const key of await keysUnder(stack(), prefix)) await download(key);
    const master = join(downloadsDir(), hls.key);
    const text = await readFile(master, 'utf8');
    expect(text).toMatch(/BANDWIDTH=\d+/);
    expect(text).toMatch(/AVERAGE-BANDWIDTH=\d+/);
    expect(text).toMatch(/RESOLUTION=\d+x\d+/);
    expect(text).toMatch(/CODECS="avc1\.[0-9a-f]{6}(,mp4a\.40\.2)?"/);
    const variants = await hlsVariants(master);
    expect(variants.map((variant) => `${variant.width}x${variant.height}`).sort()).toEqual(videosOf(manifest).map((video) => `${video.width}x${video.height}`).sort());
  });

  it('makes a poster and thumbnails from the video', async () => {
    const images = manifest.renditions.filter((rendition) => rendition.kind === 'image');
    expect(images.some((image) => image.kind === 'image' && image.role === 'poster')).toBe(true);
    expect(new Set(images.flatMap((image) => (image.kind === 'image' && image.role === 'thumbnail' ? [image.ordinal] : [])))).toEqual(new Set([1, 2, 3, 4, 5]));
  });

  it('times every chunk, the audio and the assembly, and leaves no work objects behind', async () => {
    // One timing per encoder invocation: every chunk, and the audio when there is any.
    const hasAudio = source.some((stream) => stream.codecType === 'audio');
    const chunkSteps = manifest.timings.steps.filter((step) => step.step === 'encode');
    expect(chunkSteps.map((step) => step.label)).toEqual(Array.from({ length: encoderInvocations - (hasAudio ? 1 : 0) }, (_, index) => `chunk ${index}`));
    expect(chunkSteps.length).toBeGreaterThanOrEqual(1);
    expect(manifest.timings.steps.filter((step) => step.step === 'audio')).toHaveLength(hasAudio ? 1 : 0);
    expect(manifest.timings.assembleMs).toBeGreaterThan(0);
    const work = await stack().s3.send(new ListObjectsV2Command({ Bucket: stack().deployment.buckets.work, Prefix: `${manifest.jobId}/` }));
    expect(work.KeyCount ?? 0).toBe(0);
  });
});

describe('an interlaced source', () => {
  it('is deinterlaced: every frame kept, and ffmpeg\'s idet finds no combing left', async () => {
    const path = await videoFixture('interlaced.mp4');
    expect(await interlaceCounts(path)).toMatchObject({ progressive: 0 });

    const manifest = await processFile(stack(), path, 'video/interlaced.mp4');
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    const [video] = videosOf(manifest);
    expect(video!.frames).toBe(100);

    const counts = await interlaceCounts(await download(video!.key));
    // idet's multi-frame verdicts: all TFF before; after bwdif, a few at scene cuts at most.
    expect(counts.progressive).toBeGreaterThanOrEqual(90);
  });
});

describe('audio and video alone', () => {
  it('turns an audio-only upload into one audio rendition and no video', async () => {
    const manifest = await processFile(stack(), await videoFixture('audio-only.m4a'), 'video/audio-only.m4a');
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    expect(manifest.renditions.map((rendition) => rendition.kind)).toEqual(['audio']);
    const [audio] = await inspectStreams(await download(manifest.renditions[0]!.key));
    expect(audio).toMatchObject({ codecType: 'audio', codec: 'aac' });
    expect(audio!.durationSeconds).toBeCloseTo(5, 1);
  });

  it('gives a video without audio renditions without an audio track', async () => {
    const manifest = await processFile(stack(), await videoFixture('video-only.mp4'), 'video/video-only.mp4');
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    const streams = await inspectStreams(await download(videosOf(manifest)[0]!.key));
    expect(streams.map((stream) => stream.codecType)).toEqual(['video']);
  });
});

describe('bad video inputs are rejected before any decode', () => {
  it.each<{ fixture: VideoFixtureName; code: string }>([
    { fixture: 'playlist.mp4', code: 'UNSUPPORTED_MEDIA_TYPE' },
    { fixture: 'concat.mp4', code: 'UNSUPPORTED_MEDIA_TYPE' },
    { fixture: 'no-moov.mp4', code: 'CORRUPT_INPUT' },
    { fixture: 'empty.mp4', code: 'EMPTY_INPUT' },
  ])('$fixture → $code, no renditions, the encoder never runs', async ({ fixture, code }) => {
    const encodesBefore = stack().functionStats()['encoder']!.invocations;
    const { jobId } = await putUpload(stack(), await videoFixture(fixture), `bad/${fixture}`);
    const manifest = await waitForManifest(stack(), jobId);
    expect(manifest).toMatchObject({ status: 'rejected', error: { code }, renditions: [] });
    await stack().idle();
    expect(stack().functionStats()['encoder']!.invocations).toBe(encodesBefore);
  });
});

describe('a chunk whose encoder is killed once', () => {
  it('is retried, and the job succeeds with every frame', async () => {
    const encodesBefore = stack().functionStats()['encoder']!.invocations;
    const killer = killFirstX264();
    const manifest = await processFile(stack(), await videoFixture('long-gop.mp4'), 'video/killed-once.mp4');
    const killed = await killer.stop();

    expect(killed).toBe(true);
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    const chunks = manifest.timings.steps.filter((step) => step.step === 'encode').length;
    // every chunk once, the audio once, and the one that was killed a second time
    expect(stack().functionStats()['encoder']!.invocations - encodesBefore).toBe(chunks + 2);
    // and the manifest keeps the trace of that retry
    const attempts = manifest.timings.steps.filter((step) => step.step === 'encode').map((step) => step.attempts);
    expect(attempts.filter((count) => count === 2)).toHaveLength(1);
    expect(attempts.filter((count) => count === 1)).toHaveLength(chunks - 1);
    const [video] = await inspectStreams(await download(videosOf(manifest)[0]!.key));
    expect(video!.frames).toBe(630);
  });
});

/**
 * Watches the process table and SIGKILLs the first libx264 ffmpeg started by one of this test's
 * worker processes (its grandparent is this process), never another suite's.
 */
function killFirstX264(): { stop(): Promise<boolean> } {
  let killed = false;
  let running = true;
  const loop = (async () => {
    while (running && !killed) {
      for (const pid of await readdir('/proc').catch(() => [])) {
        if (!/^\d+$/.test(pid)) continue;
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (!cmdline.split('\0')[0]!.endsWith('ffmpeg') || !cmdline.includes('libx264')) continue;
        const worker = await parentOf(Number(pid));
        if (worker === undefined || (await parentOf(worker)) !== process.pid) continue;
        process.kill(Number(pid), 'SIGKILL');
        killed = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return killed;
    },
  };
}

async function parentOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
  return stat === undefined ? undefined : Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
