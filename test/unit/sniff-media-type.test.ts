import * as fileTypeCore from 'file-type/core';
import { describe, expect, it } from 'vitest';
import { imageFixture, type ImageFixtureName } from '../../fixtures/images.ts';
import { SNIFF_BYTES, sniffMediaType } from '../../shared/media/sniff-media-type.ts';
import { readHead } from '../support/read-head.ts';


const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
};
const uint32 = (value: number): Uint8Array => bytes(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255);
const padding = new Uint8Array(256);

/** An ISO BMFF `ftyp` box with the given major brand (mp4, mov, m4a, avif, heic all start so). */
const ftyp = (brand: string): Uint8Array => {
  const body = concat(ascii(brand.padEnd(4, ' ')), uint32(0), ascii('isom'));
  return concat(uint32(8 + body.length), ascii('ftyp'), body, padding);
};
/** An EBML header whose DocType is `docType` (Matroska, WebM). */
const ebml = (docType: string): Uint8Array => {
  const docTypeElement = concat(bytes(0x42, 0x82, 0x80 | docType.length), ascii(docType));
  return concat(bytes(0x1a, 0x45, 0xdf, 0xa3, 0x80 | docTypeElement.length), docTypeElement, padding);
};
/** The first Ogg page, whose first packet starts with `codecHeader`. */
const ogg = (codecHeader: Uint8Array): Uint8Array => concat(ascii('OggS'), new Uint8Array(24), codecHeader, padding);
const riff = (form: string): Uint8Array => concat(ascii('RIFF'), uint32(0), ascii(form), padding);

describe('sniffMediaType', () => {
  it('reads as many bytes as file-type needs', () => {
    // file-type/core exports the figure at runtime but leaves it out of its typings.
    const exported: Record<string, unknown> = fileTypeCore;
    expect(SNIFF_BYTES).toBe(exported['reasonableDetectionSizeInBytes']);
  });

  it.each<[ImageFixtureName, unknown]>([
    ['photo.jpg', { mediaType: 'image', format: 'jpeg', mime: 'image/jpeg' }],
    ['graphic.png', { mediaType: 'image', format: 'png', mime: 'image/png' }],
    ['small.png', { mediaType: 'image', format: 'png', mime: 'image/png' }],
    ['rotated-exif6.jpg', { mediaType: 'image', format: 'jpeg', mime: 'image/jpeg' }],
    ['animated.gif', { mediaType: 'image', format: 'gif', mime: 'image/gif' }],
    // The name says PNG, the bytes say JPEG: the bytes win.
    ['jpeg-named.png', { mediaType: 'image', format: 'jpeg', mime: 'image/jpeg' }],
    // The header is intact; the decoder is what rejects it later.
    ['truncated.jpg', { mediaType: 'image', format: 'jpeg', mime: 'image/jpeg' }],
    ['pixel-flood.png', { mediaType: 'image', format: 'png', mime: 'image/png' }],
    ['vector.svg', undefined],
    ['not-an-image.jpg', undefined],
    ['empty.jpg', undefined],
  ])('sniffs the fixture %s from its first bytes', async (name, expected) => {
    const head = await readHead(await imageFixture(name));

    expect(await sniffMediaType(head)).toEqual(expected);
  });

  it.each<[string, Uint8Array, unknown]>([
    ['WebP', concat(riff('WEBPVP8 '), padding), { mediaType: 'image', format: 'webp', mime: 'image/webp' }],
    ['AVIF', ftyp('avif'), { mediaType: 'image', format: 'avif', mime: 'image/avif' }],
    ['TIFF', concat(bytes(0x49, 0x49, 0x2a, 0x00), uint32(0x08000000), padding), { mediaType: 'image', format: 'tiff', mime: 'image/tiff' }],
    ['MP4', ftyp('isom'), { mediaType: 'video', format: 'mp4', mime: 'video/mp4' }],
    ['MP4 (mp42)', ftyp('mp42'), { mediaType: 'video', format: 'mp4', mime: 'video/mp4' }],
    ['M4V', ftyp('M4V'), { mediaType: 'video', format: 'mp4', mime: 'video/x-m4v' }],
    ['QuickTime', ftyp('qt'), { mediaType: 'video', format: 'mov', mime: 'video/quicktime' }],
    ['Matroska', ebml('matroska'), { mediaType: 'video', format: 'mkv', mime: 'video/matroska' }],
    ['WebM', ebml('webm'), { mediaType: 'video', format: 'webm', mime: 'video/webm' }],
    ['M4A', ftyp('M4A'), { mediaType: 'audio', format: 'm4a', mime: 'audio/x-m4a' }],
    ['MP3 with an ID3 tag', concat(ascii('ID3'), bytes(4, 0, 0, 0, 0, 0, 10), new Uint8Array(10), bytes(0xff, 0xfb, 0x90, 0x64), padding), { mediaType: 'audio', format: 'mp3', mime: 'audio/mpeg' }],
    ['MP3 frame', concat(bytes(0xff, 0xfb, 0x90, 0x64), padding), { mediaType: 'audio', format: 'mp3', mime: 'audio/mpeg' }],
    ['WAV', riff('WAVEfmt '), { mediaType: 'audio', format: 'wav', mime: 'audio/wav' }],
    ['FLAC', concat(ascii('fLaC'), padding), { mediaType: 'audio', format: 'flac', mime: 'audio/flac' }],
    ['Ogg Vorbis', ogg(concat(bytes(0x01), ascii('vorbis'), bytes(0))), { mediaType: 'audio', format: 'ogg', mime: 'audio/ogg' }],
    ['Ogg Opus', ogg(ascii('OpusHead')), { mediaType: 'audio', format: 'ogg', mime: 'audio/ogg; codecs=opus' }],
    ['AAC (ADTS)', concat(bytes(0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc), padding), { mediaType: 'audio', format: 'aac', mime: 'audio/aac' }],
  ])('accepts %s', async (_label, head, expected) => {
    expect(await sniffMediaType(head)).toEqual(expected);
  });

  it.each<[string, Uint8Array]>([
    ['an HLS playlist (m3u8)', ascii('#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nhttps://example.com/seg0.ts\n')],
    ['SVG with an XML declaration', ascii('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
    ['SVG without one', ascii('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
    ['HTML', ascii('<!doctype html><html><body><img src=x onerror=alert(1)></body></html>')],
    ['PDF', concat(ascii('%PDF-1.7\n'), padding)],
    ['ZIP', concat(ascii('PK'), bytes(3, 4), padding)],
    ['HEIC', ftyp('heic')],
    ['Ogg Theora video', ogg(concat(bytes(0x80), ascii('theora')))],
    ['AVI', riff('AVI LIST')],
    ['MPEG transport stream', concat(bytes(0x47, 0x40, 0x00, 0x10), new Uint8Array(184), bytes(0x47, 0x40, 0x00, 0x10), new Uint8Array(184))],
    ['nothing', new Uint8Array(0)],
  ])('rejects %s', async (_label, head) => {
    expect(await sniffMediaType(head)).toBeUndefined();
  });
});
