import * as fileTypeCore from 'file-type/core';
import { describe, expect, it } from 'vitest';
import { imageFixture, type ImageFixtureName } from '../../fixtures/images.ts';
import { MIN_TRANSPORT_STREAM_PACKETS, SNIFF_BYTES, sniffMediaType } from '../../shared/media/sniff-media-type.ts';
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

/** An ISO BMFF `ftyp` box with the given major brand (mp4, mov, m4a, avif, heic all start so), then `compatible` ones. */
const ftyp = (brand: string, compatible: string[] = ['isom']): Uint8Array => {
  const body = concat(ascii(brand.padEnd(4, ' ')), uint32(0), ...compatible.map((other) => ascii(other)));
  return concat(uint32(8 + body.length), ascii('ftyp'), body, padding);
};
/** `packets` transport stream packets of `packetBytes`, each with its sync byte at `syncAt`, cut to SNIFF_BYTES. */
const transportStream = (packetBytes: number, syncAt: number, packets = 64): Uint8Array => {
  const stream = new Uint8Array(packetBytes * packets).fill(0xff);
  for (let packet = 0; packet < packets; packet++) stream.set([0x47, 0x40, 0x00, 0x10], packet * packetBytes + syncAt);
  return stream.subarray(0, SNIFF_BYTES);
};
/** A TIFF header whose first IFD lies at `ifdOffset`: past the head, where libtiff and sharp put it. */
const tiffHeader = (bigEndian: boolean, ifdOffset: number): Uint8Array =>
  concat(bigEndian ? bytes(0x4d, 0x4d, 0x00, 0x2a) : bytes(0x49, 0x49, 0x2a, 0x00), bigEndian ? uint32(ifdOffset) : uint32(ifdOffset).reverse(), new Uint8Array(SNIFF_BYTES - 8).fill(0x80));
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
    ['TIFF, little-endian, IFD after the pixels', tiffHeader(false, 3_600_000), { mediaType: 'image', format: 'tiff', mime: 'image/tiff' }],
    ['TIFF, big-endian, IFD after the pixels', tiffHeader(true, 3_600_000), { mediaType: 'image', format: 'tiff', mime: 'image/tiff' }],
    ['HEIC', ftyp('heic', ['mif1', 'heic']), { mediaType: 'image', format: 'heic', mime: 'image/heic' }],
    ['HEIC, 10-bit (heix)', ftyp('heix', ['mif1', 'heix']), { mediaType: 'image', format: 'heic', mime: 'image/heic' }],
    ['HEIF, generic brand only (mif1)', ftyp('mif1', ['mif1']), { mediaType: 'image', format: 'heic', mime: 'image/heif' }],
    ['HEIF with an HEVC brand (mif1, heic)', ftyp('mif1', ['mif1', 'heic']), { mediaType: 'image', format: 'heic', mime: 'image/heic' }],
    ['HEIC burst (hevc)', ftyp('hevc', ['msf1', 'hevc']), { mediaType: 'image', format: 'heic', mime: 'image/heic-sequence' }],
    ['HEIF sequence (msf1)', ftyp('msf1', ['msf1']), { mediaType: 'image', format: 'heic', mime: 'image/heif-sequence' }],
    // An AVIF may name the generic brand first; its avif brand decides.
    ['AVIF branded mif1', ftyp('mif1', ['mif1', 'miaf', 'avif']), { mediaType: 'image', format: 'avif', mime: 'image/avif' }],
    ['MPEG transport stream (188-byte packets)', transportStream(188, 0), { mediaType: 'video', format: 'mpegts', mime: 'video/mp2t' }],
    ['M2TS (192-byte packets behind a timestamp)', transportStream(192, 4), { mediaType: 'video', format: 'm2ts', mime: 'video/mp2t' }],
    // The major brand decides: an MP4 listing a HEIF brand among its compatible ones stays an MP4.
    ['MP4 listing a HEIF brand', ftyp('isom', ['isom', 'mif1']), { mediaType: 'video', format: 'mp4', mime: 'video/mp4' }],
    ['a short transport stream', transportStream(188, 0, MIN_TRANSPORT_STREAM_PACKETS), { mediaType: 'video', format: 'mpegts', mime: 'video/mp2t' }],
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
    ['Ogg Theora video', ogg(concat(bytes(0x80), ascii('theora')))],
    ['AVI', riff('AVI LIST')],
    // Two sync bytes are what file-type asks; they are any bytes' chance, not a stream.
    ['two 0x47 bytes 188 apart', concat(bytes(0x47, 0x40, 0x00, 0x10), new Uint8Array(184), bytes(0x47, 0x40, 0x00, 0x10), new Uint8Array(184))],
    ['a transport stream that loses sync', (() => {
      const head = transportStream(188, 0).slice();
      head[188 * 7] = 0x00;
      return head;
    })()],
    ['fewer packets than a stream', transportStream(188, 0, MIN_TRANSPORT_STREAM_PACKETS - 1)],
    ['a TIFF-like header with a wrong magic', concat(bytes(0x49, 0x49, 0x2c, 0x00), uint32(0x08000000), padding)],
    ['nothing', new Uint8Array(0)],
  ])('rejects %s', async (_label, head) => {
    expect(await sniffMediaType(head)).toBeUndefined();
  });
});
