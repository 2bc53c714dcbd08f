/**
 * HEIC (HEIF with HEVC pictures, phones' photos) decoded to raw RGBA, for sharp to do the rest.
 * sharp's prebuilt libvips carries libheif with AV1 only (HEVC is patent-encumbered), so the
 * HEVC decode is libheif's own, compiled to WebAssembly (libheif-js: libheif + libde265, LGPL-3.0,
 * no native code, no install script). It runs inside the process's WebAssembly sandbox.
 *
 * libheif applies the `irot`, `imir` and `clap` boxes while decoding, as a phone's viewer does, so
 * the pixels come out upright; HEIF's EXIF orientation is informative only, and raw pixels carry
 * none for sharp to apply twice. Its width and height, read from the header (`ispe`, transformed),
 * are checked against the pixel limit before a pixel is decoded.
 */
import { readFile } from 'node:fs/promises';
import { InputRejectedError } from '../errors.ts';

export interface RawRgba {
  data: Buffer;
  width: number;
  height: number;
  channels: 4;
}

/** The primary image of the HEIF file at `path`, upright, as 8-bit RGBA. */
export async function decodeHeic(path: string, { maxPixels }: { maxPixels: number }): Promise<RawRgba> {
  const bytes = await readFile(path);
  // Loaded on first use: 2 MB of WebAssembly that only HEIC uploads need.
  const { default: libheif } = await import('libheif-js/wasm-bundle.js');
  const decoder = new libheif.HeifDecoder();
  const images = decoder.decode(bytes);
  try {
    const image = images.find((candidate) => candidate.is_primary()) ?? images[0];
    if (image === undefined) throw new InputRejectedError('CORRUPT_INPUT', 'the HEIF file holds no readable image');
    const width = image.get_width();
    const height = image.get_height();
    if (width * height > maxPixels) {
      throw new InputRejectedError('PIXEL_LIMIT_EXCEEDED', `the image declares ${width}×${height} (${width * height} pixels); the limit is ${maxPixels} pixels`);
    }
    const decoded = await new Promise<{ data: Uint8ClampedArray } | null>((resolve) => {
      image.display({ data: new Uint8ClampedArray(width * height * 4), width, height }, resolve);
    });
    if (decoded === null) throw new InputRejectedError('CORRUPT_INPUT', 'image data is truncated or corrupt: libheif could not decode the HEVC picture');
    return { data: Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength), width, height, channels: 4 };
  } finally {
    for (const image of images) image.free();
    decoder.decoder?.delete();
  }
}
