/**
 * Stills from a transport stream whose keyframes are far apart: the mpegts demuxer has no
 * index, and an input seek to a time past the last keyframe leaves ffmpeg with no frame. The
 * still is decoded from the keyframe at or before it instead, and skipped forward to its time.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoFixture } from '../../fixtures/videos.ts';
import { extractFrames } from '../../shared/media/ffmpeg/extract-frames.ts';
import { listVideoFrames } from '../../shared/media/ffmpeg/list-video-frames.ts';
import { rejectionOf } from '../support/rejection-of.ts';

const run = promisify(execFile);
let workDir: string;
let stream: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-ts-stills-'));
  stream = join(workDir, 'broadcast.ts');
  // h264.mp4's GOPs (a keyframe every 2 s) in a transport stream whose clock starts 600 s in.
  await run('ffmpeg', ['-v', 'error', '-i', await videoFixture('h264.mp4'), '-c', 'copy', '-output_ts_offset', '600', '-f', 'mpegts', stream]);
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('extractFrames on MPEG-TS with keyframes 2 s apart', () => {
  it('takes a still after the last keyframe by decoding from that keyframe, at the frame it names', async () => {
    const frames = await listVideoFrames(stream, { format: 'mpegts' });
    const keyframes = frames.filter((frame) => frame.keyframe).map((frame) => frame.pts);
    const lastKeyframe = keyframes.at(-1)!;
    const still = frames.at(-3)!.pts;
    expect(still).toBeGreaterThan(lastKeyframe + 1);

    // The control: seeking to the still's own time finds nothing in this stream.
    const error = await rejectionOf(extractFrames({ sourcePath: stream, format: 'mpegts', timesSeconds: [still], rotation: 0, outputDir: join(workDir, 'direct') }));
    expect(String(error)).toMatch(/no frame at or after/);

    const [path] = await extractFrames({ sourcePath: stream, format: 'mpegts', timesSeconds: [still], fromKeyframeSeconds: [lastKeyframe], rotation: 0, outputDir: join(workDir, 'from-keyframe') });
    const { width, height } = await sharp(path!).metadata();
    expect([width, height]).toEqual([640, 360]);
  });

  it('lands on the same frame as a direct seek where that works (an MP4, its index)', async () => {
    const source = await videoFixture('h264.mp4');
    const frames = await listVideoFrames(source, { format: 'mp4' });
    const still = frames[75]!.pts;
    const keyframe = frames.filter((frame) => frame.keyframe && frame.pts <= still).at(-1)!.pts;
    expect(still - keyframe).toBeGreaterThan(0.4);
    const [direct] = await extractFrames({ sourcePath: source, format: 'mp4', timesSeconds: [still], rotation: 0, outputDir: join(workDir, 'mp4-direct') });
    const [fromKeyframe] = await extractFrames({ sourcePath: source, format: 'mp4', timesSeconds: [still], fromKeyframeSeconds: [keyframe], rotation: 0, outputDir: join(workDir, 'mp4-keyframe') });
    const pixels = async (path: string) => (await sharp(path).raw().toBuffer()).toString('base64');
    expect(await pixels(fromKeyframe!)).toBe(await pixels(direct!));
  });
});
