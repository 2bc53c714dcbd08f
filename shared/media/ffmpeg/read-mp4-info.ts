/**
 * What the sample tables of an MP4 we wrote say, read without spawning a process:
 *   - the RFC 6381 codec string (`avc1.64001f,mp4a.40.2`): the avcC record gives profile,
 *     constraint flags and level byte for byte (ffprobe shows no constraint flags), the esds the
 *     AAC object type;
 *   - the avcC itself, so chunks encoded on different machines can be checked to share one
 *     SPS/PPS before they are joined under the first one's;
 *   - the video track's sample (frame) count;
 *   - how far each track's first decoded sample lies before the presentation's zero (its edit
 *     list: B-frame delay for video, priming for AAC), so that renditions cut from separate files
 *     can be put back on one timeline.
 */
import { open } from 'node:fs/promises';
import { InternalError } from '../../errors.ts';
import { checkedPath } from './ffmpeg-args.ts';

export interface Mp4Info {
  /** Video first, then audio: `avc1.64001f,mp4a.40.2`. */
  codecs: string;
  /** The same, by kind: `avc1.64001f` and `mp4a.40.2`; '' where the file has none. */
  videoCodecs: string;
  audioCodecs: string;
  /** The avcC record (SPS and PPS included). */
  avcConfig?: Buffer;
  /** Samples in the first video track; 0 without one. */
  videoFrames: number;
  /** Seconds the first video/audio track's first sample (by decode time) lies before zero; 0 without an edit list. */
  videoLeadSeconds: number;
  audioLeadSeconds: number;
}

/** A moov past this is not one we wrote (4 h at 60 fps needs a few MB of sample tables). */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;

export async function readMp4Info(path: string): Promise<Mp4Info> {
  const moov = await readMoov(checkedPath(path));
  const video: string[] = [];
  const audio: string[] = [];
  let avcConfig: Buffer | undefined;
  let videoFrames: number | undefined;
  let videoLeadSeconds: number | undefined;
  let audioLeadSeconds: number | undefined;
  const movieTimescale = timescaleOf(children(moov, 'mvhd')[0]);
  for (const trak of children(moov, 'trak')) {
    const stbl = find(trak, ['mdia', 'minf', 'stbl']);
    const stsd = stbl && children(stbl, 'stsd')[0];
    // stsd: version/flags, entry count, then the sample entries.
    const entry = stsd && [...boxes(stsd.subarray(8))][0];
    if (!entry) continue;
    if (entry.type === 'avc1' || entry.type === 'avc3') {
      // VisualSampleEntry: 78 bytes of fields before its child boxes.
      const avcC = [...boxes(entry.body.subarray(78))].find((box) => box.type === 'avcC')?.body;
      if (!avcC || avcC.length < 4) throw new InternalError('ENCODER_FAILED', `${path}: ${entry.type} without an avcC record`);
      avcConfig ??= Buffer.from(avcC);
      videoFrames ??= sampleCount(stbl, path);
      videoLeadSeconds ??= leadSeconds(trak, movieTimescale);
      video.push(`${entry.type}.${hex(avcC[1]!)}${hex(avcC[2]!)}${hex(avcC[3]!)}`);
    } else if (entry.type === 'mp4a') {
      // AudioSampleEntry: 28 bytes of fields before its child boxes.
      const esds = [...boxes(entry.body.subarray(28))].find((box) => box.type === 'esds')?.body;
      audio.push(`mp4a.${aacCodec(esds, path)}`);
      audioLeadSeconds ??= leadSeconds(trak, movieTimescale);
    } else {
      throw new InternalError('ENCODER_FAILED', `${path}: no RFC 6381 codec string for sample entry ${entry.type}`);
    }
  }
  return {
    codecs: [...video, ...audio].join(','),
    videoCodecs: video.join(','),
    audioCodecs: audio.join(','),
    ...(avcConfig && { avcConfig }),
    videoFrames: videoFrames ?? 0,
    videoLeadSeconds: videoLeadSeconds ?? 0,
    audioLeadSeconds: audioLeadSeconds ?? 0,
  };
}

/** mvhd or mdhd: a full box whose timescale follows two dates (32-bit in version 0, 64-bit in 1). */
function timescaleOf(header: Buffer | undefined): number {
  if (!header || header.length < 24) return 0;
  return header.readUInt32BE(header[0] === 1 ? 20 : 12);
}

/**
 * From a track's edit list: empty edits delay the track (movie timescale); the first edit with
 * media lists where presentation starts in the track's own time (its timescale). No list: 0.
 */
function leadSeconds(trak: Buffer, movieTimescale: number): number {
  const elst = find(trak, ['edts', 'elst']);
  const mediaTimescale = timescaleOf(find(trak, ['mdia', 'mdhd']));
  if (!elst || elst.length < 8 || !(mediaTimescale > 0) || !(movieTimescale > 0)) return 0;
  const version = elst[0];
  const entrySize = version === 1 ? 20 : 12;
  let delay = 0;
  for (let offset = 8; offset + entrySize <= elst.length; offset += entrySize) {
    const duration = version === 1 ? Number(elst.readBigUInt64BE(offset)) : elst.readUInt32BE(offset);
    const mediaTime = version === 1 ? Number(elst.readBigInt64BE(offset + 8)) : elst.readInt32BE(offset + 4);
    if (mediaTime === -1) delay += duration;
    else return mediaTime / mediaTimescale - delay / movieTimescale;
  }
  return 0;
}

/** stsz (or compact stz2): a full box, then the sample count after the size fields. */
function sampleCount(stbl: Buffer | undefined, path: string): number {
  const stsz = stbl && children(stbl, 'stsz')[0];
  if (stsz && stsz.length >= 12) return stsz.readUInt32BE(8);
  const stz2 = stbl && children(stbl, 'stz2')[0];
  if (stz2 && stz2.length >= 12) return stz2.readUInt32BE(8);
  throw new InternalError('ENCODER_FAILED', `${path}: video track without a sample size table`);
}

interface Box {
  type: string;
  body: Buffer;
}

function* boxes(data: Buffer): Generator<Box> {
  let offset = 0;
  while (offset + 8 <= data.length) {
    let size = data.readUInt32BE(offset);
    let header = 8;
    if (size === 1) {
      size = Number(data.readBigUInt64BE(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = data.length - offset;
    }
    if (size < header || offset + size > data.length) return;
    yield { type: data.toString('latin1', offset + 4, offset + 8), body: data.subarray(offset + header, offset + size) };
    offset += size;
  }
}

function children(data: Buffer, type: string): Buffer[] {
  return [...boxes(data)].filter((box) => box.type === type).map((box) => box.body);
}

function find(data: Buffer, path: readonly string[]): Buffer | undefined {
  let current: Buffer | undefined = data;
  for (const type of path) current = current && children(current, type)[0];
  return current;
}

async function readMoov(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const { size: fileSize } = await file.stat();
    const header = Buffer.alloc(16);
    let offset = 0;
    while (offset + 8 <= fileSize) {
      await file.read(header, 0, 16, offset);
      let size = header.readUInt32BE(0);
      let headerSize = 8;
      if (size === 1) {
        size = Number(header.readBigUInt64BE(8));
        headerSize = 16;
      } else if (size === 0) {
        size = fileSize - offset;
      }
      if (size < headerSize) break;
      if (header.toString('latin1', 4, 8) === 'moov') {
        if (size > MAX_MOOV_BYTES) throw new InternalError('ENCODER_FAILED', `${path}: moov of ${size} bytes`);
        const moov = Buffer.alloc(size - headerSize);
        await file.read(moov, 0, moov.length, offset + headerSize);
        return moov;
      }
      offset += size;
    }
  } finally {
    await file.close();
  }
  throw new InternalError('ENCODER_FAILED', `${path}: no moov box`);
}

/** `40.2` for AAC-LC: the esds' object type (0x40, MPEG-4 audio), then the audio object type. */
function aacCodec(esds: Buffer | undefined, path: string): string {
  // esds is a full box (4 bytes of version/flags), then descriptors: tag, length, payload.
  const es = esds && descriptor(esds, 4, 0x03);
  if (es) {
    const flags = esds[es.start + 2]!;
    let offset = es.start + 3 + (flags & 0x80 ? 2 : 0) + (flags & 0x20 ? 2 : 0);
    if (flags & 0x40) offset += 1 + esds[offset]!;
    const config = descriptor(esds, offset, 0x04);
    if (config) {
      const objectType = esds[config.start]!;
      const specific = descriptor(esds, config.start + 13, 0x05);
      if (specific && specific.length > 0) {
        let audioObjectType = esds[specific.start]! >> 3;
        if (audioObjectType === 31) audioObjectType = 32 + (((esds[specific.start]! & 0x07) << 3) | (esds[specific.start + 1]! >> 5));
        return `${hex(objectType)}.${audioObjectType}`;
      }
    }
  }
  throw new InternalError('ENCODER_FAILED', `${path}: mp4a without a readable esds`);
}

function descriptor(data: Buffer, offset: number, tag: number): { start: number; length: number } | undefined {
  if (data[offset] !== tag) return undefined;
  let length = 0;
  let cursor = offset + 1;
  for (let index = 0; index < 4 && cursor < data.length; index++) {
    const byte = data[cursor++]!;
    length = (length << 7) | (byte & 0x7f);
    if (!(byte & 0x80)) break;
  }
  return cursor + length <= data.length ? { start: cursor, length } : undefined;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
