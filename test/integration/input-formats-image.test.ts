/**
 * The real-world image inputs of issue 9 through the image module: a TIFF of a real size, phone
 * photos (HEIC) and a JPEG whose header promises more than its data holds.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEIC_FIXTURE, HEIC_PIXEL_FLOOD_DECLARED, inputFormatFixture, LARGE_TIFF_FIXTURE, LYING_JPEG_DECLARED } from '../../fixtures/input-formats.ts';
import { imageFixture } from '../../fixtures/images.ts';
import { decodeHeic } from '../../shared/media/decode-heic.ts';
import { probeImage, renderImageVariant } from '../../shared/media/image.ts';
import { expectRejected } from '../support/rejection-of.ts';

const maxPixels = 100_000_000;
let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-input-formats-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** The RGB of one pixel of an image file. */
async function pixelAt(path: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [...data.subarray(offset, offset + 3)];
}
const isRed = ([r = 0, g = 0, b = 0]: number[]): boolean => r > 200 && g < 60 && b < 60;

describe('a TIFF whose first IFD follows the pixels', () => {
  it('is read and rendered at its size', async () => {
    const inputPath = await inputFormatFixture('large.tiff');
    const outputPath = join(workDir, 'large.webp');

    expect(await probeImage(inputPath, { maxPixels })).toMatchObject({ format: 'tiff', ...LARGE_TIFF_FIXTURE });
    expect(await renderImageVariant({ inputPath, outputPath, width: 640, format: 'webp', maxPixels })).toMatchObject({ width: 640, height: 427 });
  });
});

describe('a HEIC phone photo', () => {
  it('reads its header as shown: the irot turn applied, the declared size checked', async () => {
    const { storedWidth, storedHeight } = HEIC_FIXTURE;

    expect(await probeImage(await inputFormatFixture('phone.heic'), { maxPixels })).toEqual({
      format: 'heic', width: storedHeight, height: storedWidth, orientation: 1, hasAlpha: false, pages: 1,
    });
  });

  it('renders upright, as the phone shows it: the marker stored top-left ends top-right', async () => {
    const outputPath = join(workDir, 'phone.png.webp');

    const rendered = await renderImageVariant({ inputPath: await inputFormatFixture('phone.heic'), outputPath, width: 300, format: 'webp', maxPixels });

    expect(rendered).toMatchObject({ width: 300, height: 400 });
    expect(isRed(await pixelAt(outputPath, 290, 10))).toBe(true);
    expect(isRed(await pixelAt(outputPath, 10, 10))).toBe(false);
    expect(isRed(await pixelAt(outputPath, 290, 390))).toBe(false);
    const metadata = await sharp(outputPath).metadata();
    expect([metadata.exif, metadata.icc, metadata.xmp]).toEqual([undefined, undefined, undefined]);
  });

  it('converts its Display P3 pixels to sRGB through the profile in its colr box, as the phone shows them', async () => {
    const outputPath = join(workDir, 'phone-colour.webp');
    const [r = 0, g = 0, b = 0] = HEIC_FIXTURE.backgroundSrgb;

    await renderImageVariant({ inputPath: await inputFormatFixture('phone.heic'), outputPath, width: 300, format: 'webp', maxPixels });

    // Stored as P3 (97, 197, 81); read as if sRGB, it would show that, not the green the phone shows.
    const [outR = 0, outG = 0, outB = 0] = await pixelAt(outputPath, 150, 300);
    expect(Math.max(Math.abs(outR - r), Math.abs(outG - g), Math.abs(outB - b))).toBeLessThanOrEqual(8);
  });

  it.each(['jpeg', 'avif'] as const)('renders as %s too', async (format) => {
    const outputPath = join(workDir, `phone.${format}`);

    const rendered = await renderImageVariant({ inputPath: await inputFormatFixture('phone.heic'), outputPath, width: 600, format, maxPixels });

    expect(rendered).toMatchObject({ width: 600, height: 800 });
    expect(isRed(await pixelAt(outputPath, 590, 10))).toBe(true);
  });

  it('refuses a HEIC declaring more pixels than the limit from its header, without decoding it', async () => {
    const inputPath = await inputFormatFixture('pixel-flood.heic');
    const { width, height } = HEIC_PIXEL_FLOOD_DECLARED;

    const probed = await expectRejected(probeImage(inputPath, { maxPixels }), 'PIXEL_LIMIT_EXCEEDED');
    expect(probed.detail).toContain(`${width}×${height}`);
    const rendered = await expectRejected(renderImageVariant({ inputPath, outputPath: join(workDir, 'flood.webp'), width: 320, format: 'webp', maxPixels }), 'PIXEL_LIMIT_EXCEEDED');
    expect(rendered.detail).toContain(`${width}×${height}`);
    // The decoder's own gate comes first too: allowed that many pixels, the decode starts and
    // libheif finds the picture smaller than declared, a different code.
    await expectRejected(decodeHeic(inputPath, { maxPixels }), 'PIXEL_LIMIT_EXCEEDED');
    await expectRejected(decodeHeic(inputPath, { maxPixels: width * height }), 'CORRUPT_INPUT');
  });

  it('rejects a HEIC whose picture data is cut off as corrupt', async () => {
    const photo = await readFile(await inputFormatFixture('phone.heic'));
    const inputPath = join(workDir, 'cut.heic');
    await writeFile(inputPath, photo.subarray(0, Math.floor(photo.length * 0.6)));

    await expectRejected(renderImageVariant({ inputPath, outputPath: join(workDir, 'cut.webp'), width: 320, format: 'webp', maxPixels }), 'CORRUPT_INPUT');
  });
});

describe('a JPEG whose header declares more pixels than its data holds', () => {
  it('is rejected as corrupt instead of rendered flat grey', async () => {
    const inputPath = await inputFormatFixture('lying-header.jpg');
    const outputPath = join(workDir, 'lying.webp');
    expect(await probeImage(inputPath, { maxPixels })).toMatchObject(LYING_JPEG_DECLARED);

    const error = await expectRejected(renderImageVariant({ inputPath, outputPath, width: 640, format: 'webp', maxPixels }), 'CORRUPT_INPUT');

    expect(error.detail).toMatch(/premature end of data segment/i);
    await expect(stat(outputPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('still renders a JPEG with a recoverable warning (stray bytes between segments), as browsers do', async () => {
    const photo = await readFile(await imageFixture('photo.jpg'));
    // Four stray bytes after the first segment: libjpeg warns "4 extraneous bytes before marker".
    const firstSegmentEnd = 4 + photo.readUInt16BE(4);
    const inputPath = join(workDir, 'stray-bytes.jpg');
    await writeFile(inputPath, Buffer.concat([photo.subarray(0, firstSegmentEnd), Buffer.from([1, 2, 3, 4]), photo.subarray(firstSegmentEnd)]));
    await expect(sharp(inputPath, { failOn: 'warning' }).raw().toBuffer()).rejects.toThrow(/extraneous bytes/);

    const rendered = await renderImageVariant({ inputPath, outputPath: join(workDir, 'stray-bytes.webp'), width: 640, format: 'webp', maxPixels });

    expect(rendered).toMatchObject({ width: 640, height: 427 });
  });
});
