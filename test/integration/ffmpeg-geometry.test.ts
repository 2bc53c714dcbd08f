/**
 * Picture geometry through the encoder and the still extractor: a ladder from an odd-sized
 * source (even sizes, aspect kept, square pixels, nothing cropped), a rotated phone video
 * (portrait out, the picture turned the right way), non-square pixels.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANAMORPHIC_FIXTURE, ROTATED_VIDEO_FIXTURE, videoFixture } from '../../fixtures/videos.ts';
import type { ChunkRung } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { extractFrames } from '../../shared/media/ffmpeg/extract-frames.ts';
import { probeMedia } from '../../shared/media/ffmpeg/probe-media.ts';
import { encodeChunked, firstFrame, meanColour, psnrAgainstSource, videoSize } from './ffmpeg-support.ts';

const LIMITS = { maxDurationSeconds: 3600, maxWidth: 7680, maxHeight: 4320, maxStreams: 8 };
const rung = (name: string, width: number, height: number): ChunkRung => ({ name, width, height, crf: 26, maxrateKbps: 2000, bufsizeKbps: 4000 });

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-ffmpeg-geometry-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const isRed = ([red, green, blue]: [number, number, number]) => red > 170 && green < 90 && blue < 90;

describe('odd-size.mp4 (1918×1078) down a 720/480/360 ladder', () => {
  // The splitter's ladder for this source: heights under 1078, widths even, aspect kept.
  const ladder = [rung('720p', 1282, 720), rung('480p', 854, 480), rung('360p', 640, 360)];
  let source: string;
  let result: Awaited<ReturnType<typeof encodeChunked>>;
  beforeAll(async () => {
    source = await videoFixture('odd-size.mp4');
    result = await encodeChunked({ sourcePath: source, format: 'mp4', rungs: ladder, chunkSeconds: 1, gopSeconds: 1, workDir: join(workDir, 'odd') });
  }, 90_000);

  it('writes every rung at its even size with square pixels and every frame', async () => {
    for (const { name, width, height } of ladder) {
      const { path, assembled } = result.outputs[name]!;
      expect(await videoSize(path)).toEqual({ width, height });
      expect(await sampleAspectRatio(path)).toBe('1:1');
      expect(assembled.frames).toBe(result.frames.length);
      expect(Math.abs(width / height - 1918 / 1078)).toBeLessThan(0.005);
    }
  });

  it('scales the whole picture (no crop, no shift): the 720p rung matches the scaled source', async () => {
    const psnr = await psnrAgainstSource(result.outputs['720p']!.path, source, 1282, 720);
    // 47.0 dB measured; a 2 px shift (a 6×4 crop before scaling) measured 30.5 dB.
    expect(psnr).toBeGreaterThan(44);
  });
});

describe('rotated.mp4 (stored 640×360, shown turned 90° clockwise)', () => {
  let source: string;
  let rotation: 0 | 90 | 180 | 270;
  // Stored top-left, turned clockwise: the marker is at the top-right of the upright picture.
  const markerCorner = (width: number, scale: number) => ({ x: width - Math.round((ROTATED_VIDEO_FIXTURE.markerSize * scale) / 2) - 4, y: 4 });
  beforeAll(async () => {
    source = await videoFixture('rotated.mp4');
    const facts = await probeMedia(source, { format: 'mp4', limits: LIMITS });
    rotation = facts.video!.rotation;
  });

  it('encodes a portrait video with the picture upright', async () => {
    expect(rotation).toBe(ROTATED_VIDEO_FIXTURE.clockwiseRotation);
    const result = await encodeChunked({
      sourcePath: source,
      format: 'mp4',
      rungs: [rung('180p', 180, 320)],
      rotation,
      chunkSeconds: 2,
      gopSeconds: 1,
      audio: false,
      workDir: join(workDir, 'rotated'),
    });
    const { path, assembled } = result.outputs['180p']!;
    expect(await videoSize(path)).toEqual({ width: 180, height: 320 });
    expect(assembled.frames).toBe(result.frames.length);
    const frame = await firstFrame(path, join(workDir, 'rotated-first.png'));
    const size = Math.round((ROTATED_VIDEO_FIXTURE.markerSize * 0.5) / 2);
    expect(isRed(await meanColour(frame, { ...markerCorner(180, 0.5), size: size - 4 }))).toBe(true);
    expect(isRed(await meanColour(frame, { x: 4, y: 4, size: size - 4 }))).toBe(false);
  }, 60_000);

  it('extracts upright stills at the displayed size', async () => {
    const paths = await extractFrames({ sourcePath: source, format: 'mp4', timesSeconds: [0.5, 2.2], rotation, outputDir: join(workDir, 'rotated-stills') });
    expect(paths).toHaveLength(2);
    for (const path of paths) {
      expect(await videoSize(path)).toEqual({ width: ROTATED_VIDEO_FIXTURE.storedHeight, height: ROTATED_VIDEO_FIXTURE.storedWidth });
      const size = ROTATED_VIDEO_FIXTURE.markerSize / 2;
      expect(isRed(await meanColour(path, { ...markerCorner(ROTATED_VIDEO_FIXTURE.storedHeight, 1), size: size - 8 }))).toBe(true);
      expect(isRed(await meanColour(path, { x: 4, y: 4, size: size - 8 }))).toBe(false);
    }
  });
});

describe('extractFrames', () => {
  it('gives non-square pixels their displayed width', async () => {
    const source = await videoFixture('anamorphic.mkv');
    const [still] = await extractFrames({ sourcePath: source, format: 'mkv', timesSeconds: [1], rotation: 0, outputDir: join(workDir, 'anamorphic-stills') });
    const [num, den] = ANAMORPHIC_FIXTURE.sampleAspectRatio;
    expect(await videoSize(still!)).toEqual({ width: (ANAMORPHIC_FIXTURE.storedWidth * num) / den, height: ANAMORPHIC_FIXTURE.storedHeight });
  });

  it('takes the first frame at or after each time, one decode each', async () => {
    const source = await videoFixture('h264.mp4');
    // 1.0 s is a frame time (30 fps); 1.01 s is not, so it must give the frame at 1.0333 s.
    const [atFrame, between] = await extractFrames({ sourcePath: source, format: 'mp4', timesSeconds: [1, 1.01], rotation: 0, outputDir: join(workDir, 'h264-stills') });
    expect(await psnrAgainstSourceFrame(atFrame!, source, 30)).toBe(Number.POSITIVE_INFINITY);
    expect(await psnrAgainstSourceFrame(between!, source, 31)).toBe(Number.POSITIVE_INFINITY);
  });

  it('deinterlaces an interlaced source when asked: the two fields no longer differ line by line', async () => {
    const source = await videoFixture('interlaced.mp4');
    const extract = (deinterlace: boolean) => extractFrames({ sourcePath: source, format: 'mp4', timesSeconds: [1], rotation: 0, deinterlace, outputDir: join(workDir, `interlaced-${deinterlace}`) });
    const [[woven], [deinterlaced]] = await Promise.all([extract(false), extract(true)]);
    // Measured on this fixture: 0.81 woven, 0.59 deinterlaced; a static picture sits near 0.6.
    expect(await combing(woven!)).toBeGreaterThan(0.75);
    expect(await combing(deinterlaced!)).toBeLessThan(0.65);
  });
});

/**
 * How much neighbouring lines differ against lines two apart (the same field): near or below
 * 0.6 for a progressive picture, higher when the two fields were taken at different moments.
 */
async function combing(path: string): Promise<number> {
  const { data, info } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
  let adjacent = 0;
  let sameField = 0;
  for (let y = 0; y + 2 < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const here = data[y * info.width + x]!;
      adjacent += Math.abs(here - data[(y + 1) * info.width + x]!);
      sameField += Math.abs(here - data[(y + 2) * info.width + x]!);
    }
  }
  return adjacent / sameField;
}

/** PSNR of a still against the source's frame number `frame`, both decoded to RGB. */
async function psnrAgainstSourceFrame(stillPath: string, sourcePath: string, frame: number): Promise<number> {
  const graph = `[1:v]select='eq(n\\,${frame})',format=rgb24,setpts=0[ref];[0:v]format=rgb24,setpts=0[still];[still][ref]psnr`;
  const { stderr } = await promisify(execFile)('ffmpeg', ['-hide_banner', '-nostdin', '-i', stillPath, '-i', sourcePath, '-filter_complex', graph, '-frames:v', '1', '-f', 'null', '-']);
  const match = /average:([0-9.]+|inf)/.exec(stderr);
  return match?.[1] === 'inf' ? Number.POSITIVE_INFINITY : Number(match?.[1]);
}

/** The first video stream's sample aspect ratio as ffprobe prints it ("1:1" for square pixels). */
async function sampleAspectRatio(path: string): Promise<string> {
  const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=sample_aspect_ratio', '-of', 'csv=p=0', path]);
  return stdout.trim();
}
