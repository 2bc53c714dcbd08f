import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANIMATED_FIXTURE, imageFixture, type ImageFixtureName, PIXEL_FLOOD_DECLARED, ROTATED_FIXTURE } from '../../fixtures/images.ts';
import type { ImageFormat } from '../../shared/contracts/manifest.ts';
import { InputRejectedError } from '../../shared/errors.ts';
import { type ImageFacts, probeImage, renderImageVariant, renderImageVariants } from '../../shared/media/image.ts';
import type { ImageInputFormat } from '../../shared/media/sniff-media-type.ts';
import { expectRejected, rejectionOf } from '../support/rejection-of.ts';

const maxPixels = 100_000_000;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-image-media-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});


/** The RGBA value of one pixel of an image file, decoded by sharp. */
async function pixelAt(path: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [...data.subarray(offset, offset + 4)];
}

const isRed = ([r = 0, g = 0, b = 0]: number[]): boolean => r > 200 && g < 60 && b < 60;

/** sharp names AVIF files 'heif' and tells them apart by codec. */
const decodedFormatOf = (format: ImageFormat): string => (format === 'avif' ? 'heif' : format);

/** A small solid image written in each accepted input format, to check every allowed loader. */
async function writeSample(format: Exclude<ImageInputFormat, 'heic'>): Promise<string> {
  const path = join(workDir, `sample.${format}`);
  const image = sharp({ create: { width: 64, height: 48, channels: 3, background: '#3070c0' } });
  await image.toFormat(format === 'avif' ? 'heif' : format, format === 'avif' ? { compression: 'av1' } : {}).toFile(path);
  return path;
}

describe('probeImage', () => {
  it.each<[ImageFixtureName, ImageFacts]>([
    ['photo.jpg', { format: 'jpeg', width: 1600, height: 1067, orientation: 1, hasAlpha: false, pages: 1 }],
    ['graphic.png', { format: 'png', width: 800, height: 600, orientation: 1, hasAlpha: true, pages: 1 }],
    ['small.png', { format: 'png', width: 120, height: 90, orientation: 1, hasAlpha: false, pages: 1 }],
    // Stored 640×480 landscape; EXIF orientation 6 makes it 480×640 portrait as displayed.
    ['rotated-exif6.jpg', { format: 'jpeg', width: 480, height: 640, orientation: 6, hasAlpha: false, pages: 1 }],
    ['animated.gif', { format: 'gif', width: ANIMATED_FIXTURE.width, height: ANIMATED_FIXTURE.height, orientation: 1, hasAlpha: true, pages: 2 }],
    ['jpeg-named.png', { format: 'jpeg', width: 1600, height: 1067, orientation: 1, hasAlpha: false, pages: 1 }],
    // Only the header is read: the missing 40% is found when the pixels are decoded.
    ['truncated.jpg', { format: 'jpeg', width: 1600, height: 1067, orientation: 1, hasAlpha: false, pages: 1 }],
  ])('reads the header of %s', async (name, expected) => {
    expect(await probeImage(await imageFixture(name), { maxPixels })).toEqual(expected);
  });

  it.each<Exclude<ImageInputFormat, 'heic'>>(['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'])('accepts %s (its loader is allowed)', async (format) => {
    const path = await writeSample(format);

    expect(await probeImage(path, { maxPixels })).toMatchObject({ format, width: 64, height: 48 });
  });

  it('rejects a pixel flood from the header, before decoding', async () => {
    const path = await imageFixture('pixel-flood.png');

    const started = performance.now();
    const error = await expectRejected(probeImage(path, { maxPixels }), 'PIXEL_LIMIT_EXCEEDED');
    const elapsedMs = performance.now() - started;

    // Not a performance figure: decoding the declared pixels would take minutes and gigabytes, so
    // a bound this loose still fails if the check ever moves after the decode, and never on a busy machine.
    expect(elapsedMs).toBeLessThan(10_000);
    expect(error.detail).toContain(`${PIXEL_FLOOD_DECLARED.width}×${PIXEL_FLOOD_DECLARED.height}`);
  });

  it('applies the limit to the declared pixels, not to a fixed figure', async () => {
    const path = await imageFixture('photo.jpg');

    await expectRejected(probeImage(path, { maxPixels: 1600 * 1067 - 1 }), 'PIXEL_LIMIT_EXCEEDED');
    await expect(probeImage(path, { maxPixels: 1600 * 1067 })).resolves.toMatchObject({ width: 1600 });
  });

  it.each<[ImageFixtureName, string]>([
    ['vector.svg', 'UNSUPPORTED_MEDIA_TYPE'],
    ['not-an-image.jpg', 'UNSUPPORTED_MEDIA_TYPE'],
    ['empty.jpg', 'EMPTY_INPUT'],
  ])('rejects %s with %s', async (name, code) => {
    await expectRejected(probeImage(await imageFixture(name), { maxPixels }), code);
  });

  it('rejects a format whose libvips loader is blocked even though libvips could read it', async () => {
    // libvips' own .v format: sharp can write it, and the VipsForeignLoadVips loader would read it.
    const path = join(workDir, 'native.v');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).toFile(path);

    await expectRejected(probeImage(path, { maxPixels }), 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('lets a missing file through as our error, not the upload’s', async () => {
    const error = await rejectionOf(probeImage(join(workDir, 'does-not-exist.jpg'), { maxPixels }));

    expect(error).not.toBeInstanceOf(InputRejectedError);
    expect(error).toMatchObject({ code: 'ENOENT' });
  });
});

describe('renderImageVariant', () => {
  it.each<ImageFormat>(['jpeg', 'webp', 'avif'])('renders photo.jpg to %s at 640 wide', async (format) => {
    const outputPath = join(workDir, `photo-640.${format}`);

    const rendered = await renderImageVariant({ inputPath: await imageFixture('photo.jpg'), outputPath, width: 640, format, maxPixels });

    const decoded = await sharp(outputPath).metadata();
    expect(decoded).toMatchObject({ format: decodedFormatOf(format), width: 640, height: 427 });
    if (format === 'avif') expect(decoded.compression).toBe('av1');
    expect(rendered).toEqual({ width: 640, height: 427, bytes: (await stat(outputPath)).size });
  });

  it('renders every accepted input format', async () => {
    for (const format of ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const) {
      const outputPath = join(workDir, `from-${format}.webp`);

      const rendered = await renderImageVariant({ inputPath: await writeSample(format), outputPath, width: 32, format: 'webp', maxPixels });

      expect(rendered, format).toMatchObject({ width: 32, height: 24 });
    }
  });

  it('never enlarges: small.png asked at 640 stays 120 wide', async () => {
    const outputPath = join(workDir, 'small-640.webp');

    const rendered = await renderImageVariant({ inputPath: await imageFixture('small.png'), outputPath, width: 640, format: 'webp', maxPixels });

    expect(rendered).toMatchObject({ width: 120, height: 90 });
    expect(await sharp(outputPath).metadata()).toMatchObject({ width: 120, height: 90 });
  });

  it.each<ImageFormat>(['jpeg', 'webp', 'avif'])('turns EXIF orientation 6 upright and drops the metadata (%s)', async (format) => {
    const outputPath = join(workDir, `rotated-240.${format}`);
    const inputPath = await imageFixture('rotated-exif6.jpg');
    // The marker is stored at the top-left; upright (rotated 90° clockwise) it is at the top-right.
    expect(isRed(await pixelAt(inputPath, 10, 10))).toBe(true);

    const rendered = await renderImageVariant({ inputPath, outputPath, width: 240, format, maxPixels });

    expect(rendered).toMatchObject({ width: 240, height: 320 });
    const marker = Math.round((ROTATED_FIXTURE.markerSize * 240) / ROTATED_FIXTURE.storedHeight); // 48 px
    expect(isRed(await pixelAt(outputPath, 240 - marker / 2, marker / 2))).toBe(true);
    expect(isRed(await pixelAt(outputPath, marker / 2, marker / 2))).toBe(false);
    expect(isRed(await pixelAt(outputPath, 240 - marker / 2, 320 - marker / 2))).toBe(false);
    const metadata = await sharp(outputPath).metadata();
    expect(metadata.orientation).toBeUndefined();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.xmp).toBeUndefined();
    expect(metadata.iptc).toBeUndefined();
  });

  it('flattens transparency on white for JPEG and keeps it for WebP', async () => {
    const inputPath = await imageFixture('graphic.png');
    const jpegPath = join(workDir, 'graphic.jpeg');
    const webpPath = join(workDir, 'graphic.webp');

    await renderImageVariant({ inputPath, outputPath: jpegPath, width: 400, format: 'jpeg', maxPixels });
    await renderImageVariant({ inputPath, outputPath: webpPath, width: 400, format: 'webp', maxPixels });

    // (5, 5) is fully transparent in the source.
    const [r = 0, g = 0, b = 0] = await pixelAt(jpegPath, 5, 5);
    expect(Math.min(r, g, b)).toBeGreaterThan(245);
    expect((await pixelAt(webpPath, 5, 5))[3]).toBe(0);
  });

  it('renders only the first frame of an animated GIF', async () => {
    const outputPath = join(workDir, 'animated.webp');

    const rendered = await renderImageVariant({ inputPath: await imageFixture('animated.gif'), outputPath, width: 100, format: 'webp', maxPixels });

    expect(rendered).toMatchObject({ width: 100, height: 75 });
    const metadata = await sharp(outputPath).metadata();
    expect(metadata.pages ?? 1).toBe(1);
    expect(isRed(await pixelAt(outputPath, 50, 37))).toBe(true);
  });

  it('converts pixels tagged with a wide-gamut profile to sRGB', async () => {
    // Display P3 pixels for what is sRGB (40, 200, 60): different numbers, the same colour.
    const inputPath = join(workDir, 'p3.png');
    const srgb = Buffer.alloc(32 * 32 * 3);
    for (let i = 0; i < 32 * 32; i++) srgb.set([40, 200, 60], i * 3);
    await sharp(srgb, { raw: { width: 32, height: 32, channels: 3 } }).withIccProfile('p3').png().toFile(inputPath);
    const [storedRed = 0] = [...(await sharp(inputPath, { ignoreIcc: true }).raw().toBuffer()).subarray(0, 3)];
    expect(storedRed).toBeGreaterThan(80);
    const outputPath = join(workDir, 'p3.webp');

    await renderImageVariant({ inputPath, outputPath, width: 16, format: 'webp', maxPixels });

    const [r = 0, g = 0, b = 0] = await pixelAt(outputPath, 8, 8);
    expect(Math.abs(r - 40)).toBeLessThan(8);
    expect(Math.abs(g - 200)).toBeLessThan(8);
    expect(Math.abs(b - 60)).toBeLessThan(8);
    expect((await sharp(outputPath).metadata()).icc).toBeUndefined();
  });

  it('rejects a truncated JPEG as corrupt instead of painting the missing rows grey', async () => {
    const outputPath = join(workDir, 'truncated.webp');

    const error = await expectRejected(
      renderImageVariant({ inputPath: await imageFixture('truncated.jpg'), outputPath, width: 640, format: 'webp', maxPixels }),
      'CORRUPT_INPUT',
    );

    expect(error.detail).toMatch(/^image data is truncated or corrupt: .*premature end/i);
    await expect(stat(outputPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses an SVG handed to it directly: the loader itself is blocked', async () => {
    const inputPath = await imageFixture('vector.svg');

    const error = await expectRejected(
      renderImageVariant({ inputPath, outputPath: join(workDir, 'vector.webp'), width: 200, format: 'webp', maxPixels }),
      'UNSUPPORTED_MEDIA_TYPE',
    );

    expect(error.detail).toMatch(/not an image in an accepted format.*SVG/);
    // Not just our format check: sharp in this process can no longer read SVG at all.
    await expect(sharp(inputPath).metadata()).rejects.toThrow(/unsupported image format/);
  });

  it('rejects a pixel flood without decoding it', async () => {
    const outputPath = join(workDir, 'flood.webp');

    await expectRejected(
      renderImageVariant({ inputPath: await imageFixture('pixel-flood.png'), outputPath, width: 640, format: 'webp', maxPixels }),
      'PIXEL_LIMIT_EXCEEDED',
    );
  });

  it('lets an output failure through as our error, not the upload’s', async () => {
    const outputPath = join(workDir, 'no-such-dir', 'photo.webp');

    const error = await rejectionOf(renderImageVariant({ inputPath: await imageFixture('photo.jpg'), outputPath, width: 320, format: 'webp', maxPixels }));

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(InputRejectedError);
  });
});

describe('renderImageVariants', () => {
  it('writes every format of one width from a single decode', async () => {
    const outputs = (['avif', 'webp', 'jpeg'] as const).map((format) => ({ format, outputPath: join(workDir, `multi-320.${format}`) }));

    const rendered = await renderImageVariants({ inputPath: await imageFixture('photo.jpg'), width: 320, maxPixels, outputs });

    expect(rendered.map(({ width, height }) => [width, height])).toEqual([
      [320, 213],
      [320, 213],
      [320, 213],
    ]);
    for (const { format, outputPath } of outputs) {
      expect(await sharp(outputPath).metadata()).toMatchObject({ format: decodedFormatOf(format), width: 320 });
    }
  });
});
