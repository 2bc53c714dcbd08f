/**
 * Issue 9's real-world inputs end to end on a real MinIO: camcorder and broadcast transport
 * streams, a TIFF of a real size and a phone's HEIC succeed; a HEIC pixel flood and a JPEG whose
 * header lies end `rejected` with their codes and no renditions.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, VideoRendition } from '../../shared/contracts/manifest.ts';
import { HEIC_FIXTURE, inputFormatFixture, type InputFormatFixtureName, LARGE_TIFF_FIXTURE } from '../../fixtures/input-formats.ts';
import { inspectStreams, videoPts } from '../support/inspect-media.ts';
import { keysUnder, processFile, readRendition } from '../support/pipeline-harness.ts';
import { frameIntervals, interlaceCounts, useShortChunkStack } from '../support/video-checks.ts';

const AAC_FRAME_SECONDS = 1024 / 48_000;

const { harness, download } = useShortChunkStack('fanout-input-formats-');
const stack = () => harness().stack;

const videosOf = (manifest: Manifest) => manifest.renditions.filter((rendition): rendition is VideoRendition => rendition.kind === 'video');

describe.each<{ fixture: InputFormatFixtureName; uploadedAs: string; format: string; interlaced: boolean }>([
  { fixture: 'broadcast.m2t', uploadedAs: 'broadcast.ts', format: 'mpegts', interlaced: false },
  { fixture: 'camcorder.m2ts', uploadedAs: 'camcorder.mts', format: 'm2ts', interlaced: true },
])('$uploadedAs, timestamps starting 600 s in', ({ fixture, uploadedAs, format, interlaced }) => {
  let manifest: Manifest;
  let source: Awaited<ReturnType<typeof inspectStreams>>;
  beforeAll(async () => {
    manifest = await processFile(stack(), await inputFormatFixture(fixture), `ts/${uploadedAs}`);
    source = await inspectStreams(await inputFormatFixture(fixture));
  });

  it('succeeds, the source named as the transport stream it is', () => {
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    expect(manifest.source).toMatchObject({ mediaType: 'video', format });
    expect(videosOf(manifest).length).toBeGreaterThan(0);
  });

  it('keeps every frame, starts at 0, lasts as long as the source, audio with the video', async () => {
    const sourceVideo = source.find((stream) => stream.codecType === 'video')!;
    const frameSeconds = sourceVideo.durationSeconds / sourceVideo.frames;
    expect(videosOf(manifest).length).toBeGreaterThan(0);
    for (const video of videosOf(manifest)) {
      const path = await download(video.key);
      const streams = await inspectStreams(path);
      const outVideo = streams.find((stream) => stream.codecType === 'video')!;
      expect(outVideo.frames).toBe(sourceVideo.frames);
      expect(video.frames).toBe(sourceVideo.frames);
      expect(Math.abs(outVideo.durationSeconds - sourceVideo.durationSeconds)).toBeLessThanOrEqual(frameSeconds + 1e-3);
      expect((await videoPts(path))[0]).toBeCloseTo(0, 3);
      const outAudio = streams.find((stream) => stream.codecType === 'audio')!;
      expect(Math.abs(outAudio.durationSeconds - outVideo.durationSeconds)).toBeLessThanOrEqual(AAC_FRAME_SECONDS + 1e-3);
    }
  });

  it('shows the source\'s frame spacing throughout: no jump at chunk boundaries', async () => {
    const sourceDeltas = await frameIntervals(await inputFormatFixture(fixture));
    const outDeltas = await frameIntervals(await download(videosOf(manifest)[0]!.key));
    expect(outDeltas).toHaveLength(sourceDeltas.length);
    outDeltas.forEach((delta, index) => expect(Math.abs(delta - sourceDeltas[index]!)).toBeLessThan(0.002));
  });

  it.runIf(interlaced)('is deinterlaced as any interlaced source: idet finds fields before and none after', async () => {
    expect(await interlaceCounts(await inputFormatFixture(fixture))).toMatchObject({ progressive: 0 });

    const counts = await interlaceCounts(await download(videosOf(manifest)[0]!.key));

    // idet's multi-frame verdicts: all TFF before; after bwdif, a few at scene cuts at most.
    expect(counts.progressive).toBeGreaterThanOrEqual(90);
  });
});

const imagesOf = (manifest: Manifest) => manifest.renditions.flatMap((rendition) => (rendition.kind === 'image' ? [rendition] : []));

describe('real-world images', () => {
  it('renders a TIFF whose IFD follows the pixels at every planned width', async () => {
    const manifest = await processFile(stack(), await inputFormatFixture('large.tiff'), 'images/scan.tiff');

    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    expect(manifest.source).toMatchObject({ mediaType: 'image', format: 'tiff', ...LARGE_TIFF_FIXTURE });
    const widths = [...new Set(imagesOf(manifest).map((image) => image.width))].sort((a, b) => a - b);
    expect(widths.at(-1)).toBe(LARGE_TIFF_FIXTURE.width);
    for (const image of imagesOf(manifest)) expect(image.height).toBeCloseTo((image.width * LARGE_TIFF_FIXTURE.height) / LARGE_TIFF_FIXTURE.width, 0);
  });

  it('renders a phone\'s HEIC upright at every planned width, without its metadata', async () => {
    const manifest = await processFile(stack(), await inputFormatFixture('phone.heic'), 'images/IMG_0001.HEIC');

    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    // Stored landscape, shown portrait.
    expect(manifest.source).toMatchObject({ mediaType: 'image', format: 'heic', width: HEIC_FIXTURE.storedHeight, height: HEIC_FIXTURE.storedWidth });
    const images = imagesOf(manifest);
    expect(new Set(images.map((image) => image.format))).toEqual(new Set(['avif', 'webp', 'jpeg']));
    for (const image of images) {
      const bytes = await readRendition(stack(), image.key);
      const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([image.width, image.height]);
      expect(image.height).toBeCloseTo((image.width * 4) / 3, 0);
      // The marker, stored top-left, shows top-right.
      const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
      const [r = 0, g = 255] = at(info.width - 4, 4);
      const [leftR = 255] = at(3, 3);
      expect(r > 200 && g < 60 && leftR < 120, `${image.key}: marker top-right`).toBe(true);
      expect((await sharp(bytes).metadata()).exif).toBeUndefined();
    }
  });

  it.each<{ fixture: InputFormatFixtureName; code: string }>([
    { fixture: 'pixel-flood.heic', code: 'PIXEL_LIMIT_EXCEEDED' },
    { fixture: 'lying-header.jpg', code: 'CORRUPT_INPUT' },
  ])('rejects $fixture with $code and no renditions', async ({ fixture, code }) => {
    const manifest = await processFile(stack(), await inputFormatFixture(fixture), `bad/${fixture}`);

    expect(manifest).toMatchObject({ status: 'rejected', error: { code } });
    expect(manifest.renditions).toEqual([]);
    expect(await keysUnder(stack(), manifest.jobId)).toHaveLength(1);
  });
});
