/**
 * Cuts on shots, with real ffmpeg: the detector on generated sources (hard cuts found to the
 * frame; motion, grain and a still shot find none), then the whole pipeline on a real MinIO with
 * 2 s chunks and 2 s GOPs: every rung has an IDR at each cut the planner keeps, and nowhere but
 * there and on the grid, every frame is still there, and the HLS segments keep the grid's length.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, VideoRendition } from '../../shared/contracts/manifest.ts';
import { cutSegment } from '../../shared/media/ffmpeg/cut-segment.ts';
import { detectSceneCuts } from '../../shared/media/ffmpeg/detect-scene-cuts.ts';
import { encodeChunk } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';
import { chunkIdrFrames } from '../../shared/media/ffmpeg/probe-encode.ts';
import { RENDITION_PROFILE } from '../../shared/rendition-profile.ts';
import { processFile, startTestStack, type TestStack } from '../support/pipeline-harness.ts';
import { renditionDownloads, type RenditionDownloads } from '../support/video-checks.ts';
import { packets } from './ffmpeg-support.ts';

const run = promisify(execFile);
const FPS = 30;
/** Four shots, 6 s: the cuts at 1.3 s and 3.4 s are off the 2 s grid; 4.2 s is 0.2 s past its IDR at 4 s. */
const SHOTS = [
  { source: 'testsrc', seconds: 1.3 },
  { source: 'smptebars', seconds: 2.1 },
  { source: 'testsrc2', seconds: 0.8 },
  { source: 'color=c=0x3060a0', seconds: 1.8 },
];
const DETECTED = [1.3, 3.4, 4.2];
/** The grid's IDRs (0, 2, 4 s) and the cuts kept: 4.2 s is left to the grid. */
const EXPECTED_KEYFRAMES = [0, 1.3, 2, 3.4, 4];
const FRAMES = 6 * FPS;

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-scene-cuts-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function generate(name: string, filterGraph: string): Promise<string> {
  const path = join(workDir, name);
  await run('ffmpeg', ['-nostdin', '-y', '-v', 'error', '-filter_complex', filterGraph, '-map', '[v]', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-pix_fmt', 'yuv420p', path]);
  return path;
}

/** The four shots at 854×480 (two rungs: 480p and 360p), joined by the concat filter. */
function fourShots(): Promise<string> {
  const inputs = SHOTS.map(({ source, seconds }, index) => `${source}${source.includes('=') ? ':' : '='}s=854x480:r=${FPS}:d=${seconds}[s${index}]`);
  return generate('four-shots.mp4', `${inputs.join(';')};${SHOTS.map((_, index) => `[s${index}]`).join('')}concat=n=${SHOTS.length}:v=1:a=0,format=yuv420p[v]`);
}

const detect = async (sourcePath: string) => {
  const dir = await mkdtemp(join(workDir, 'detect-'));
  return detectSceneCuts({ sourcePath, format: 'mp4', threshold: RENDITION_PROFILE.sceneCuts.threshold, detectWidth: RENDITION_PROFILE.sceneCuts.detectWidth, maxSeconds: 3600, workDir: dir });
};

describe('detectSceneCuts', () => {
  it('finds each hard cut, to the frame', async () => {
    const cuts = await detect(await fourShots());
    expect(cuts).toHaveLength(DETECTED.length);
    cuts.forEach((cut, index) => expect(cut).toBeCloseTo(DETECTED[index]!, 5));
  }, 60_000);

  it('finds none in fast motion with grain, nor in a still shot', async () => {
    const motion = await generate('motion.mp4', `testsrc2=s=640x360:r=${FPS}:d=4,noise=alls=30:allf=t+u,format=yuv420p[v]`);
    const still = await generate('still.mp4', `smptebars=s=640x360:r=${FPS}:d=4,format=yuv420p[v]`);
    const single = await generate('one-frame.mp4', `testsrc=s=640x360:r=${FPS}:d=1,trim=end_frame=1,format=yuv420p[v]`);
    expect(await detect(motion)).toEqual([]);
    expect(await detect(still)).toEqual([]);
    expect(await detect(single)).toEqual([]);
  }, 60_000);

  it('reads no further than the duration cap', async () => {
    const dir = await mkdtemp(join(workDir, 'capped-'));
    const cuts = await detectSceneCuts({ sourcePath: join(workDir, 'four-shots.mp4'), format: 'mp4', threshold: 10, detectWidth: 320, maxSeconds: 2, workDir: dir });
    expect(cuts).toEqual([expect.closeTo(1.3, 5)]);
  }, 60_000);
});

/** Presentation times (s, from the first frame) of the keyframes of a file's video, and its frame count. */
async function keyframeTimes(path: string): Promise<{ keyframes: number[]; frames: number }> {
  const { timeBase, packets: list } = await packets(path, 'v:0');
  const first = Math.min(...list.map((packet) => packet.pts));
  return { keyframes: list.filter((packet) => packet.keyframe).map((packet) => (packet.pts - first) * timeBase).sort((a, b) => a - b), frames: list.length };
}

describe('encodeChunk with cuts inside a chunk of several GOPs', () => {
  it('adds an IDR at each cut and leaves the grid where it was (the grid counts from the chunk start, not from the last cut)', async () => {
    const segmentPath = join(workDir, `whole.${INTERMEDIATE_FORMAT.extension}`);
    await cutSegment({ sourcePath: await fourShots(), format: 'mp4', fromSeconds: 0, outputPath: segmentPath });
    const outputPath = join(workDir, 'one-chunk-360p.mp4');
    await encodeChunk({
      segmentPath,
      startSeconds: 0,
      rotation: 0,
      rungs: [{ name: '360p', width: 640, height: 360, crf: 28, maxrateKbps: 700, bufsizeKbps: 1400 }],
      gopSeconds: 1,
      keyframeSeconds: [1.3, 3.4],
      preset: 'ultrafast',
      outputs: { '360p': outputPath },
    });
    const { keyframes, frames } = await keyframeTimes(outputPath);
    expect(frames).toBe(FRAMES);
    const expected = [0, 1, 1.3, 2, 3, 3.4, 4, 5];
    expect(keyframes.length, keyframes.join(', ')).toBe(expected.length);
    keyframes.forEach((time, index) => expect(time, keyframes.join(', ')).toBeCloseTo(expected[index]!, 3));
    // Target mode's probes place their IDRs by chunkIdrFrames: the same frames this encode forced.
    expect(chunkIdrFrames({ chunkFrames: FRAMES, durationSeconds: 6, gopSeconds: 1, keyframeSeconds: [1.3, 3.4] })).toEqual(keyframes.map((time) => Math.round(time * FPS)));
  }, 60_000);
});

describe('a source with hard cuts off the GOP grid, through the pipeline', () => {
  let harness: TestStack;
  let downloads: RenditionDownloads;
  let manifest: Manifest;
  let videos: VideoRendition[];
  beforeAll(async () => {
    harness = await startTestStack({ storage: 'minio', functionEnvironment: { splitter: { CHUNK_SECONDS: '2', SEGMENT_SECONDS: '2', GOP_SECONDS: '2', X264_PRESET: 'ultrafast' } } });
    downloads = await renditionDownloads(() => harness.stack, 'fanout-scene-cuts-renditions-');
    manifest = await processFile(harness.stack, await fourShots(), 'shots/four-shots.mp4');
    videos = manifest.renditions.filter((rendition): rendition is VideoRendition => rendition.kind === 'video');
  }, 180_000);
  afterAll(async () => {
    await harness?.stop();
    await downloads?.remove();
  });

  it('succeeds with every frame in every rung', () => {
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    expect(videos.map((video) => video.rung)).toEqual(['480p', '360p']);
    for (const video of videos) expect(video.frames, video.rung).toBe(FRAMES);
  });

  it('puts an IDR at each kept cut and on the grid, nowhere else, in every rung', async () => {
    for (const video of videos) {
      const { timeBase, packets: list } = await packets(await downloads.download(video.key), 'v:0');
      expect(list, video.rung).toHaveLength(FRAMES);
      const first = Math.min(...list.map((packet) => packet.pts));
      const keyframes = list.filter((packet) => packet.keyframe).map((packet) => (packet.pts - first) * timeBase).sort((a, b) => a - b);
      expect(keyframes.length, `${video.rung}: ${keyframes.join(', ')}`).toBe(EXPECTED_KEYFRAMES.length);
      keyframes.forEach((time, index) => expect(time, video.rung).toBeCloseTo(EXPECTED_KEYFRAMES[index]!, 3));
    }
  });

  it('keeps the HLS segments on the grid: 2 s each, the cuts start none', async () => {
    for (const video of videos) {
      const playlist = await readFile(await downloads.download(`${manifest.jobId}/hls/${video.rung}/index.m3u8`), 'utf8');
      const durations = [...playlist.matchAll(/#EXTINF:([0-9.]+),/g)].map((match) => Number(match[1]));
      expect(durations, video.rung).toHaveLength(3);
      durations.forEach((duration) => expect(Math.abs(duration - 2), `${video.rung}: ${durations.join(', ')}`).toBeLessThanOrEqual(1 / FPS));
    }
  });
});
