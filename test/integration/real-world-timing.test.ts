/**
 * Real-world timing through the whole local stack (real MinIO, real ffmpeg): files whose packets
 * and headers disagree. The real ones must come out frame-exact and in sync against the source
 * as a player shows it (ffmpeg's own decode: edit lists applied, nothing before the first
 * keyframe); the broken ones must end `rejected` CORRUPT_INPUT, with no renditions and no encode.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_WORLD_TIMING, realWorldTimingFixture, type RealWorldTimingFixtureName } from '../../fixtures/real-world-timing.ts';
import { videoFixture } from '../../fixtures/videos.ts';
import type { Manifest, VideoRendition } from '../../shared/contracts/manifest.ts';
import { keysUnder, processFile, putUpload, readRendition, startTestStack, waitForManifest, type TestStack } from '../support/pipeline-harness.ts';

const CHUNKING = { CHUNK_SECONDS: '2', SEGMENT_SECONDS: '2', GOP_SECONDS: '1', X264_PRESET: 'ultrafast' };
const run = promisify(execFile);
/** One AAC frame at 48 kHz: how far an audio start or end may move. */
const AAC_FRAME_SECONDS = 1024 / 48_000;

let harness: TestStack;
let downloads: string;
beforeAll(async () => {
  harness = await startTestStack({ storage: 'minio', functionEnvironment: { splitter: CHUNKING } });
  downloads = await mkdtemp(join(tmpdir(), 'fanout-timing-'));
});
afterAll(async () => {
  await harness?.stop();
  await rm(downloads, { recursive: true, force: true });
});

async function download(key: string): Promise<string> {
  const path = join(downloads, key);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, await readRendition(harness.stack, key));
  return path;
}

const videosOf = (manifest: Manifest) => manifest.renditions.filter((rendition): rendition is VideoRendition => rendition.kind === 'video');

interface Packet {
  pts: number;
  duration: number;
  keyframe: boolean;
  discard: boolean;
}

async function packets(path: string, stream: 'V:0' | 'a:0'): Promise<Packet[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time,duration_time,flags', '-of', 'json', path], { maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(stdout).packets as Array<{ pts_time: string; duration_time?: string; flags: string }>)
    .map((packet) => ({ pts: Number(packet.pts_time), duration: Number(packet.duration_time ?? 0), keyframe: packet.flags.startsWith('K'), discard: packet.flags.includes('D') }))
    .sort((a, b) => a.pts - b.pts);
}

/**
 * The video a player shows: frames not hidden by an edit list, from the first keyframe on; the
 * last one held until it ends, or the audio does.
 */
async function shownVideo(path: string, audio: boolean): Promise<{ frames: number[]; startSeconds: number; endSeconds: number }> {
  const all = await packets(path, 'V:0');
  const firstKeyframe = all.findIndex((packet) => packet.keyframe);
  const shown = all.filter((packet, index) => index >= firstKeyframe && !packet.discard);
  const last = shown.at(-1)!;
  const audioEnd = audio ? Math.max(...(await packets(path, 'a:0')).filter((packet) => !packet.discard).map((packet) => packet.pts + packet.duration)) : -Infinity;
  return { frames: shown.map((packet) => packet.pts), startSeconds: shown[0]!.pts, endSeconds: Math.max(last.pts + last.duration, audioEnd) };
}

/**
 * Times of the clicks (onsets above 0.3 after 0.1 s of quiet) in the audio as ffmpeg decodes it,
 * on the file's own clock (-copyts: ffmpeg would otherwise move a WebM's -7 ms start to zero).
 */
async function clickTimes(path: string): Promise<number[]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-copyts', '-i', path, '-map', '0:a:0', '-af', 'aresample=48000:async=1:first_pts=0', '-ac', '1', '-f', 'f32le', '-'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const samples = new Float32Array(stdout.buffer, stdout.byteOffset, stdout.byteLength / 4);
  const clicks: number[] = [];
  let lastLoud = -Infinity;
  samples.forEach((sample, index) => {
    if (Math.abs(sample) < 0.3) return;
    if (index - lastLoud > 0.1 * 48_000) clicks.push(index / 48_000);
    lastLoud = index;
  });
  return clicks;
}

describe.each<{ fixture: RealWorldTimingFixtureName; audio: boolean }>([
  { fixture: 'edit-list-trim.mp4', audio: true },
  { fixture: 'mid-gop.mkv', audio: true },
  { fixture: 'no-duration.webm', audio: true },
  { fixture: 'single-frame.mp4', audio: false },
  { fixture: 'cover-picture.mp4', audio: true },
  { fixture: 'slideshow.mp4', audio: true },
  { fixture: 'nine-frames.mp4', audio: true },
  { fixture: 'long-last-frame.mp4', audio: false },
  { fixture: 'timestamp-jump.mp4', audio: false },
  { fixture: 'lying-duration.mp4', audio: true },
])('$fixture', ({ fixture, audio }) => {
  let manifest: Manifest;
  let source: Awaited<ReturnType<typeof shownVideo>>;
  let sourcePath: string;
  beforeAll(async () => {
    sourcePath = await realWorldTimingFixture(fixture);
    manifest = await processFile(harness.stack, sourcePath, `timing/${fixture}`);
    source = await shownVideo(sourcePath, audio);
  });

  it('succeeds with its ladder, a poster and five thumbnails', () => {
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    expect(videosOf(manifest).map((video) => video.rung)).toEqual(['180p']);
    const images = manifest.renditions.filter((rendition) => rendition.kind === 'image');
    expect(images.some((image) => image.kind === 'image' && image.role === 'poster')).toBe(true);
    expect(new Set(images.flatMap((image) => (image.kind === 'image' && image.role === 'thumbnail' ? [image.ordinal] : [])))).toEqual(new Set([1, 2, 3, 4, 5]));
  });

  it('reports the measured duration and frame count, not the header\'s', () => {
    expect(manifest.source.frameCount).toBe(source.frames.length);
    expect(Math.abs(manifest.source.durationSeconds! - (source.endSeconds - source.startSeconds))).toBeLessThan(0.002);
  });

  it('keeps every shown frame at its time, and the last one as long as the source shows it', async () => {
    const [video] = videosOf(manifest);
    const out = await packets(await download(video!.key), 'V:0');
    expect(out.map((packet) => packet.pts - out[0]!.pts)).toHaveLength(source.frames.length);
    out.forEach((packet, index) => expect(Math.abs(packet.pts - out[0]!.pts - (source.frames[index]! - source.startSeconds))).toBeLessThan(0.002));
    const outEnd = out.at(-1)!.pts + out.at(-1)!.duration - out[0]!.pts;
    expect(Math.abs(outEnd - (source.endSeconds - source.startSeconds))).toBeLessThan(0.002);
  });

  it.runIf(audio)('keeps the audio in sync: every click where the source has it, relative to the first shown frame', async () => {
    const [video] = videosOf(manifest);
    const expected = (await clickTimes(sourcePath)).map((seconds) => seconds - source.startSeconds).filter((seconds) => seconds >= -1e-3);
    const got = await clickTimes(await download(video!.key));
    expect(got.length).toBeGreaterThan(0);
    expect(got).toHaveLength(expected.length);
    got.forEach((seconds, index) => expect(Math.abs(seconds - expected[index]!)).toBeLessThan(0.003));
  });
});

describe.each<{ fixture: RealWorldTimingFixtureName }>([
  { fixture: 'truncated.mp4' },
  { fixture: 'repeated-edit-list.mp4' },
  { fixture: 'edit-list-past-media.mp4' },
])('$fixture', ({ fixture }) => {
  it('is rejected CORRUPT_INPUT by the splitter: no renditions, the encoder never runs', async () => {
    const encodesBefore = harness.stack.functionStats()['encoder']!.invocations;
    const { jobId } = await putUpload(harness.stack, await realWorldTimingFixture(fixture), `timing-bad/${fixture}`);
    const manifest = await waitForManifest(harness.stack, jobId);
    expect(manifest).toMatchObject({ status: 'rejected', error: { code: 'CORRUPT_INPUT' }, renditions: [] });
    await harness.stack.idle();
    expect(harness.stack.functionStats()['encoder']!.invocations).toBe(encodesBefore);
  });
});

describe('a header that promises far more work than the bytes hold', () => {
  it(`is planned by its packets: ${REAL_WORLD_TIMING.claimedSeconds} s claimed, 3 s encoded in one or two chunks`, async () => {
    const manifest = await processFile(harness.stack, await realWorldTimingFixture('lying-duration.mp4'), 'timing/bound.mp4');
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    expect(manifest.source.durationSeconds).toBeCloseTo(3, 2);
    expect(manifest.timings.steps.filter((step) => step.step === 'encode').length).toBeLessThanOrEqual(2);
  });
});

describe('HLS durations', () => {
  it.each(['vfr.mp4', 'h264.mp4'] as const)('%s: the EXTINFs of every playlist add up to the MP4\'s duration, within one frame', async (fixture) => {
    const manifest = await processFile(harness.stack, await videoFixture(fixture), `timing/hls-${fixture}`);
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    const [video] = videosOf(manifest);
    const out = await packets(await download(video!.key), 'V:0');
    const mp4Seconds = out.at(-1)!.pts + out.at(-1)!.duration - out[0]!.pts;
    const frameSeconds = mp4Seconds / out.length;
    const hls = manifest.renditions.find((rendition) => rendition.kind === 'hls')!;
    const prefix = hls.key.slice(0, hls.key.lastIndexOf('/') + 1);
    const playlists = (await keysUnder(harness.stack, prefix)).filter((key) => key.endsWith('/index.m3u8'));
    expect(playlists.length).toBeGreaterThanOrEqual(2);
    for (const key of playlists) {
      const text = await readFile(await download(key), 'utf8');
      const total = [...text.matchAll(/#EXTINF:([0-9.]+),/g)].reduce((sum, match) => sum + Number(match[1]), 0);
      expect(Math.abs(total - mp4Seconds), `${key}: ${total} s of EXTINF for ${mp4Seconds} s`).toBeLessThanOrEqual(frameSeconds + 1e-3);
    }
  });
});
