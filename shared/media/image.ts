/**
 * Shipped code reaches sharp (libvips) only through this module, and importing it locks sharp
 * down for the whole process: only the decoders for the accepted input formats stay usable.
 * (Test fixtures draw with sharp from raw pixels, which needs no decoder.)
 *
 * Rendering is split in two stages so a failure can be blamed correctly:
 *   1. decode: header check, auto-orient, resize, sRGB, to raw 8-bit pixels. A failure here is
 *      the file's fault (truncated, corrupt) unless the environment says otherwise.
 *   2. encode: raw pixels to avif/webp/jpeg. A failure here is ours and is thrown as is.
 * The raw hand-off costs one small buffer (width × height × 4 at the target width).
 *
 * HEIC is the one input libvips cannot decode (its libheif has no HEVC decoder): libvips still
 * reads its header, for the same checks as every other format, and decode-heic.ts decodes the
 * pixels, which then go through the same resize, colour and encode steps as raw input.
 */
import { stat } from 'node:fs/promises';
import { crc32, deflateSync } from 'node:zlib';
import sharp, { type Metadata, type Sharp } from 'sharp';
import type { ImageFormat } from '../contracts/manifest.ts';
import { InputRejectedError } from '../errors.ts';
import { decodeHeic } from './decode-heic.ts';
import { ImageInputFormat } from './sniff-media-type.ts';

/** The libvips loader family that decodes each accepted input format. */
const LOADER_FAMILY: Readonly<Record<ImageInputFormat, string>> = {
  jpeg: 'VipsForeignLoadJpeg',
  png: 'VipsForeignLoadPng',
  webp: 'VipsForeignLoadWebp',
  gif: 'VipsForeignLoadNsgif',
  // libheif: the prebuilt libvips decodes AV1 only; for HEIC it reads the header, decode-heic.ts the pixels.
  avif: 'VipsForeignLoadHeif',
  tiff: 'VipsForeignLoadTiff',
  heic: 'VipsForeignLoadHeif',
};

/**
 * Every libvips loader is blocked, then the file, buffer and stream variants of the accepted
 * families are reopened. Blocked loaders are skipped when libvips picks one, so an SVG, PDF,
 * ImageMagick, OpenSlide, FITS, Matrix, CSV, raw-vips or UltraHDR (its JPEG base image still
 * loads through the JPEG loader) input reads as "unsupported image format" and is rejected.
 */
export const ALLOWED_LOADERS: readonly string[] = [...new Set(Object.values(LOADER_FAMILY))].flatMap((family) =>
  ['File', 'Buffer', 'Source'].map((variant) => `${family}${variant}`),
);
sharp.block({ operation: ['VipsForeignLoad'] });
sharp.unblock({ operation: [...ALLOWED_LOADERS] });

/**
 * One libvips worker thread per image. The fan-out is the parallelism: a Lambda has 1–2 vCPUs
 * and the local host already runs one worker process per core, so more threads per image only
 * oversubscribe the CPUs when the pool is busy. What one idle 2-vCPU host would gain is small
 * (an AVIF at effort 2: 0.54 s at 1 thread, 0.40 s at 2). It is also sharp's own default on
 * glibc (Lambda's runtime) to limit memory fragmentation, and pinning it makes output the same
 * on every host: AVIF's bytes depend on the thread count (at effort 4: 139 KiB vs 109 KiB).
 */
sharp.concurrency(1);
/**
 * libvips' operation cache (50 MB, 20 open files by default) only helps when the same image is
 * read again; an invocation reads each file once, so it would just pin memory and file handles
 * across warm invocations.
 */
sharp.cache(false);

/**
 * Which corrupt input still renders. 'truncated' fails a file that ends early (the default
 * libjpeg behaviour would paint the missing rows grey and succeed) and any compressed data the
 * decoder cannot inflate, but accepts the recoverable warnings real cameras and editors produce
 * ("Corrupt JPEG data: N extraneous bytes before marker", a bad CRC on an intact PNG chunk),
 * which every browser displays. Measured on libvips 8.18: a JPEG cut at 60% fails under
 * 'truncated', 'error' and 'warning' alike; 'warning' (sharp's default) also rejects a JPEG
 * with a corrupt data segment, 'error' also rejects a PNG with a bad CRC.
 */
const FAIL_ON = 'truncated';

/**
 * A JPEG whose scan data ends (at a marker) before the pixels its header declares: libjpeg warns
 * "premature end of data segment" and paints the rest grey, which no failOn level short of
 * 'warning' refuses. JPEGs are therefore decoded under 'warning' first: this warning rejects them,
 * any other failure gets a second decode under FAIL_ON, which passes the recoverable warnings
 * (a JPEG with none, nearly every one, is decoded once).
 */
const JPEG_DATA_ENDS_EARLY = /premature end of data segment/i;

/** Output settings, for a serverless CPU budget. Figures: 1920×1280, one thread, this host. */
const ENCODERS = {
  // effort 2 vs sharp's default 4: 0.8 s / 175 KiB vs 7.9 s / 165 KiB on a textured photo,
  // 0.7 s / 75 KiB vs 3.4 s / 66 KiB on a smooth one: ~6–14% larger for a tenth of the CPU.
  avif: { quality: 50, effort: 2 },
  // effort 4 (default): 0.3 s, and effort 2 saved only ~0.13 s at the same size.
  webp: { quality: 80, effort: 4 },
  // mozjpeg (trellis quantisation, optimised progressive scans): 0.23 s and 26% smaller than
  // libjpeg-turbo's 0.02 s at the same quality.
  jpeg: { quality: 80, mozjpeg: true, progressive: true },
} as const;

/** What the header says, read without decoding a pixel. */
export interface ImageFacts {
  format: ImageInputFormat;
  /** As displayed: width and height are swapped for EXIF orientations 5–8. */
  width: number;
  height: number;
  /** EXIF orientation, 1 (upright) when absent. */
  orientation: number;
  hasAlpha: boolean;
  /** Frames (GIF, WebP) or pages (TIFF); only the first is ever rendered. */
  pages: number;
}

export interface ProbeImageOptions {
  /** The most pixels (width × height of one frame) that may be decoded. */
  maxPixels: number;
}

/**
 * Reads the header of an image and checks it against the allowlist and the pixel limit, so a
 * pixel flood (a tiny PNG declaring 30000×30000) is refused before any decode.
 */
export async function probeImage(filePath: string, options: ProbeImageOptions): Promise<ImageFacts> {
  const { size } = await stat(filePath); // A missing file is our bug, not the upload's: thrown as is.
  if (size === 0) throw new InputRejectedError('EMPTY_INPUT', 'the image file is empty');

  let metadata: Metadata;
  try {
    // No pixel limit on the header read itself, so the rejection can say what was declared.
    metadata = await sharp(filePath, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw toInputRejection(error, 'image header is unreadable');
  }

  const format = acceptedFormat(metadata);
  if (format === undefined) {
    const declared = metadata.compression ? `${metadata.format} (${metadata.compression})` : metadata.format;
    throw new InputRejectedError('UNSUPPORTED_MEDIA_TYPE', `image format ${declared} is not accepted; accepted: ${ImageInputFormat.options.join(', ')}`);
  }
  const pixels = metadata.width * metadata.height;
  if (pixels > options.maxPixels) {
    throw new InputRejectedError(
      'PIXEL_LIMIT_EXCEEDED',
      `the image declares ${metadata.width}×${metadata.height} (${pixels} pixels); the limit is ${options.maxPixels} pixels`,
    );
  }
  return {
    format,
    width: metadata.autoOrient.width,
    height: metadata.autoOrient.height,
    orientation: metadata.orientation ?? 1,
    hasAlpha: metadata.hasAlpha,
    pages: metadata.pages ?? 1,
  };
}

function acceptedFormat(metadata: Metadata): ImageInputFormat | undefined {
  // libheif reports AVIF and HEIC alike as 'heif'; the codec tells them apart.
  if (metadata.format === 'heif') return metadata.compression === 'av1' ? 'avif' : metadata.compression === 'hevc' ? 'heic' : undefined;
  const parsed = ImageInputFormat.safeParse(metadata.format);
  return parsed.success ? parsed.data : undefined;
}

export interface RenderedImage {
  width: number;
  height: number;
  bytes: number;
}

export interface ImageVariantOutput {
  format: ImageFormat;
  outputPath: string;
}

export interface RenderImageVariantsInput {
  inputPath: string;
  /** Target width; the source is never enlarged, so a narrower source keeps its own width. */
  width: number;
  maxPixels: number;
  outputs: readonly ImageVariantOutput[];
}

export type RenderImageVariantInput = Omit<RenderImageVariantsInput, 'outputs'> & ImageVariantOutput;

/**
 * One rendition: auto-oriented, resized to `width` (never enlarged, aspect kept), converted to
 * sRGB, every metadata block (EXIF, GPS, XMP, IPTC, ICC) dropped. JPEG output is flattened on
 * white. Animated GIF/WebP and multi-page TIFF render their first frame only.
 */
export async function renderImageVariant(input: RenderImageVariantInput): Promise<RenderedImage> {
  const pixels = await decodeAtWidth(input);
  return encodeVariant(pixels, input);
}

/** Several formats of one width from a single decode (what an ImageTask asks for). */
export async function renderImageVariants(input: RenderImageVariantsInput): Promise<RenderedImage[]> {
  const pixels = await decodeAtWidth(input);
  const rendered: RenderedImage[] = [];
  // One after another: libvips runs one thread per image here, parallel encodes would only queue.
  for (const output of input.outputs) rendered.push(await encodeVariant(pixels, output));
  return rendered;
}

interface DecodedPixels {
  data: Buffer;
  raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
}

async function decodeAtWidth({ inputPath, width, maxPixels }: Omit<RenderImageVariantsInput, 'outputs'>): Promise<DecodedPixels> {
  // The same gate as the splitter's, in case this is reached without it.
  const { format } = await probeImage(inputPath, { maxPixels });
  if (format === 'heic') {
    const { data, ...raw } = await decodeHeic(inputPath, { maxPixels });
    // libheif does no colour management: the pixels are in the file's ICC profile (an iPhone's:
    // Display P3), which only the header read knows.
    const { icc } = await sharp(inputPath, { limitInputPixels: false }).metadata();
    const pixels = icc === undefined ? sharp(data, { raw, limitInputPixels: maxPixels }) : sharp(await pngWithProfile(data, raw, icc), { limitInputPixels: maxPixels });
    // Pixels we made cannot be corrupt: a failure from here on is ours, thrown as is.
    return resizeToRaw(pixels, width);
  }
  const load = (failOn: typeof FAIL_ON | 'warning'): Sharp => sharp(inputPath, { failOn, limitInputPixels: maxPixels, autoOrient: true, pages: 1 });
  if (format !== 'jpeg') return resizeToRaw(load(FAIL_ON), width, 'image data is truncated or corrupt');
  try {
    return await resizeToRaw(load('warning'), width, 'image data is truncated or corrupt');
  } catch (error) {
    if (!(error instanceof InputRejectedError) || JPEG_DATA_ENDS_EARLY.test(error.detail)) throw error;
    return resizeToRaw(load(FAIL_ON), width, 'image data is truncated or corrupt');
  }
}

/**
 * Raw pixels as a PNG tagged with `icc`: sharp takes no profile with raw input, and reads one
 * from a PNG's iCCP chunk, which goes right after the IHDR. Stored without compression: it is
 * decoded again at once.
 */
async function pngWithProfile(data: Buffer, raw: { width: number; height: number; channels: 4 }, icc: Buffer): Promise<Buffer> {
  const png = await sharp(data, { raw }).png({ compressionLevel: 0, adaptiveFiltering: false }).toBuffer();
  // Signature (8), then the IHDR chunk: length (4), type (4), 13 bytes, CRC (4).
  const afterHeader = 8 + 4 + 4 + 13 + 4;
  const body = Buffer.concat([Buffer.from('icc\0\0', 'latin1'), deflateSync(icc)]);
  const typeAndBody = Buffer.concat([Buffer.from('iCCP', 'latin1'), body]);
  const chunk = Buffer.alloc(4 + typeAndBody.length + 4);
  chunk.writeUInt32BE(body.length, 0);
  typeAndBody.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typeAndBody), 4 + typeAndBody.length);
  return Buffer.concat([png.subarray(0, afterHeader), chunk, png.subarray(afterHeader)]);
}

/** `problem` names a failure that is the input's fault; without it, every failure is ours. */
async function resizeToRaw(image: Sharp, width: number, problem?: string): Promise<DecodedPixels> {
  try {
    const { data, info } = await image
      .resize({ width, withoutEnlargement: true })
      // sharp converts to sRGB through the embedded ICC profile (or CMYK) on the way out.
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data, raw: { width: info.width, height: info.height, channels: info.channels } };
  } catch (error) {
    throw problem === undefined ? error : toInputRejection(error, problem);
  }
}

async function encodeVariant(pixels: DecodedPixels, { format, outputPath }: ImageVariantOutput): Promise<RenderedImage> {
  // Raw pixels carry no metadata, so nothing from the source (EXIF, GPS, XMP, ICC) can reach the output.
  const image = sharp(pixels.data, { raw: pixels.raw });
  const encoded =
    format === 'jpeg'
      ? image.flatten({ background: '#ffffff' }).jpeg(ENCODERS.jpeg)
      : format === 'webp'
        ? image.webp(ENCODERS.webp)
        : image.avif(ENCODERS.avif);
  const info = await encoded.toFile(outputPath);
  return { width: info.width, height: info.height, bytes: info.size };
}

const PIXEL_LIMIT_MESSAGE = /exceeds pixel limit/i;
const UNSUPPORTED_MESSAGE = /unsupported image format/i;
/** Not the input's fault: the file vanished or could not be opened, or memory ran out. */
const ENVIRONMENT_MESSAGE = /input file is missing|unable to open|unix error|out of memory/i;

/** Maps a libvips failure while reading the input to a rejection; anything else is thrown as is. */
function toInputRejection(error: unknown, problem: string): unknown {
  if (!(error instanceof Error) || ENVIRONMENT_MESSAGE.test(error.message)) return error;
  const reason = summarise(error.message);
  if (PIXEL_LIMIT_MESSAGE.test(reason)) {
    return new InputRejectedError('PIXEL_LIMIT_EXCEEDED', `the image has more pixels than allowed: ${reason}`, { cause: error });
  }
  if (UNSUPPORTED_MESSAGE.test(reason)) {
    return new InputRejectedError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the file is not an image in an accepted format (${ImageInputFormat.options.join(', ')}); the decoders for every other format, SVG and PDF included, are disabled: ${reason}`,
      { cause: error },
    );
  }
  return new InputRejectedError('CORRUPT_INPUT', `${problem}: ${reason}`, { cause: error });
}

/** libvips can stack a dozen lines (one per failed seek); the last ones say what went wrong. */
function summarise(message: string): string {
  const lines = message.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const tail = lines.slice(-3).join('; ');
  return lines.length > 3 ? `… ${tail}` : tail;
}
