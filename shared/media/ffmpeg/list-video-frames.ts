/**
 * Every packet of an upload, read under the same whitelists as probeMedia (probe-media.ts): the
 * video's frame count, exact timestamps and where the keyframes are, and the span the audio's
 * packets cover. The splitter believes these over the headers: a container's stated duration or
 * frame count can be missing (a browser's WebM) or false (a truncated or doctored file).
 */
import { stat } from 'node:fs/promises';
import { InputRejectedError, InternalError } from '../../errors.ts';
import { fileUrl } from './ffmpeg-args.ts';
import type { VideoFrame } from './media-facts.ts';
import { parseRatio } from './ratio.ts';
import { runFfprobe, type FfprobeRunOptions } from './run-ffprobe.ts';
import { DEMUXERS, sourceInputOptions, type MediaInputFormat } from './source-demuxer.ts';

export interface ListVideoFramesOptions extends FfprobeRunOptions {
  format: MediaInputFormat;
  /** More video packets than this is rejected as INPUT_TOO_LARGE (default 1,000,000). */
  maxFrames?: number;
}

/** What the packets of an upload hold, whatever its headers say. */
export interface PacketListing {
  /**
   * Every packet of the first video stream (not cover art), sorted by presentation time,
   * discarded ones included and flagged: a hidden keyframe is where decoding must start.
   */
  video: VideoFrame[];
  /** The presentation span of the first audio stream's packets (discarded ones left out). */
  audio?: { startSeconds: number; endSeconds: number };
}

/** Listing demuxes the whole file (no decoding): bounded by disk speed. */
const DEFAULT_LIST_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_FRAMES = 1_000_000;
/** One listing line (`packet|stream_index=…|pts=…|dts=…|duration=…|size=…|pos=…|flags=K__`) is under 128 bytes. */
const MAX_LISTING_BYTES_PER_PACKET = 128;
/** Audio packets per video frame the output cap allows for (AAC at 48 kHz and 24 fps: 2). */
const PACKETS_PER_FRAME = 8;

interface StreamInfo {
  codecType: string;
  attachedPic: boolean;
  timeBase?: [number, number];
}

interface RawPacket {
  /** Parsed only for the streams used: cover art and subtitles may have none. */
  pts?: string;
  dts?: string;
  durationTicks?: number;
  keyframe: boolean;
  discard: boolean;
}

/**
 * Every packet of the upload's first video and first audio stream, read from the packets alone
 * (`-show_entries packet=…` with `-nofind_stream_info`): nothing is decoded.
 *
 * Refuses (CORRUPT_INPUT), before anything is decoded: a file whose index points past its own
 * end (an interrupted upload: a packet's `pos + size` beyond the file's size), an index that
 * plays the same bytes twice (an edit list repeating media: a job's work is bounded by the bytes
 * it holds, each frame planned is a distinct packet), and a packet without a timestamp.
 *
 * Precision: ffprobe's pts are integers in the stream's time base (e.g. 1/15360 for mp4 from
 * ffmpeg, 1/1000 for Matroska); each `pts` here is `ticks × num / den` computed once in double
 * precision, so it is within one ulp (~1e-15 relative) of the exact rational, and times keep the
 * order and equality of the ticks. A packet without a pts takes its dts.
 */
export async function listPackets(filePath: string, options: ListVideoFramesOptions): Promise<PacketListing> {
  const maxFrames = options.maxFrames ?? DEFAULT_MAX_FRAMES;
  const fileBytes = (await stat(filePath)).size;
  const streams = new Map<number, StreamInfo>();
  const packets = new Map<number, RawPacket[]>();
  const positions = new Map<number, Set<number>>();
  let packetCount = 0;
  await runFfprobe(
    [
      '-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file', ...sourceInputOptions(options.format),
      // Stream parameters come from the container; no frame is decoded to guess them (but ADTS,
      // whose packets carry no time until the stream is probed).
      ...(DEMUXERS[options.format].timesPacketsOnlyWhenProbed ? [] : ['-nofind_stream_info']),
      '-show_entries', 'packet=stream_index,pts,dts,duration,size,pos,flags:stream=index,codec_type,time_base:stream_disposition=attached_pic',
      '-of', 'compact',
      '-i', fileUrl(filePath),
    ],
    {
      ffprobePath: options.ffprobePath,
      timeoutMs: options.timeoutMs ?? DEFAULT_LIST_TIMEOUT_MS,
      // A bound on the output as well as on the count.
      maxOutputBytes: (maxFrames + 16) * PACKETS_PER_FRAME * MAX_LISTING_BYTES_PER_PACKET,
      onLine: (line) => {
        const [section, ...fields] = line.split('|');
        const values = new Map(fields.filter((field) => field.includes('=')).map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)]));
        if (section === 'stream') {
          streams.set(Number(values.get('index')), {
            codecType: values.get('codec_type') ?? 'unknown',
            attachedPic: values.get('disposition:attached_pic') === '1',
            timeBase: parseRatio(values.get('time_base')),
          });
          return;
        }
        if (section !== 'packet') return;
        const streamIndex = Number(values.get('stream_index'));
        const flags = values.get('flags') ?? '';
        const pos = integerOrUndefined(values.get('pos'));
        const size = integerOrUndefined(values.get('size')) ?? 0;
        if (pos !== undefined && pos + size > fileBytes) {
          throw new InputRejectedError('CORRUPT_INPUT', `the file is cut short: its index places media data at byte ${pos + size}, past its end at ${fileBytes} (an interrupted upload?)`);
        }
        if (pos !== undefined && DEMUXERS[options.format].indexCanRepeatBytes) {
          const seen = positions.get(streamIndex) ?? new Set<number>();
          if (seen.has(pos)) throw new InputRejectedError('CORRUPT_INPUT', `stream ${streamIndex} plays the bytes at ${pos} twice: an edit list repeats media`);
          seen.add(pos);
          positions.set(streamIndex, seen);
        }
        let list = packets.get(streamIndex);
        if (list === undefined) packets.set(streamIndex, (list = []));
        // The stream sections come after the packets: count every stream's here, the video's below.
        if (++packetCount > maxFrames * PACKETS_PER_FRAME) throw new InputRejectedError('INPUT_TOO_LARGE', `the file has more than ${maxFrames * PACKETS_PER_FRAME} packets`);
        const durationTicks = integerOrUndefined(values.get('duration'));
        list.push({
          pts: values.get('pts'),
          dts: values.get('dts'),
          ...(durationTicks !== undefined && durationTicks > 0 ? { durationTicks } : {}),
          keyframe: flags.startsWith('K'),
          discard: flags.includes('D'),
        });
      },
    },
  );

  const timed = (list: RawPacket[]) => list.map((packet) => ({ ...packet, ticks: parsePacketTime(packet.pts, packet.dts) }));
  const pick = (type: string) => [...streams.entries()].sort(([a], [b]) => a - b).find(([, info]) => info.codecType === type && !info.attachedPic);
  const listing: PacketListing = { video: [] };
  const video = pick('video');
  const videoList = video ? timed(packets.get(video[0]) ?? []) : [];
  if (videoList.length > maxFrames) throw new InputRejectedError('INPUT_TOO_LARGE', `the video has more than ${maxFrames} frames`);
  if (video && videoList.length > 0) {
    const toSeconds = secondsIn(video[1], 'video');
    listing.video = videoList
      .sort((a, b) => a.ticks - b.ticks)
      .map((packet) => ({
        pts: toSeconds(packet.ticks),
        keyframe: packet.keyframe,
        ...(packet.discard ? { discard: true } : {}),
        ...(packet.durationTicks === undefined ? {} : { durationSeconds: toSeconds(packet.durationTicks) }),
      }));
  }
  const audio = pick('audio');
  const audioList = audio ? withUntimedAudioSpread(packets.get(audio[0]) ?? []).filter((packet) => !packet.discard) : [];
  if (audio && audioList.length > 0) {
    const toSeconds = secondsIn(audio[1], 'audio');
    // Matroska may state no packet duration without probing: then the gap to the next packet,
    // and for the last one the gap before it. A loop, not Math.min(...list): an hour of audio is
    // more arguments than a call takes.
    audioList.sort((a, b) => a.ticks - b.ticks);
    let startTicks = Infinity;
    let endTicks = -Infinity;
    audioList.forEach((packet, index) => {
      const gap = index + 1 < audioList.length ? audioList[index + 1]!.ticks - packet.ticks : index > 0 ? packet.ticks - audioList[index - 1]!.ticks : 0;
      startTicks = Math.min(startTicks, packet.ticks);
      endTicks = Math.max(endTicks, packet.ticks + (packet.durationTicks ?? gap));
    });
    listing.audio = { startSeconds: toSeconds(startTicks), endSeconds: toSeconds(endTicks) };
  }
  return listing;
}

/**
 * A transport stream's audio PES holds several frames, and only the first carries the PES's time
 * (the parser splits the rest off untimed, with no duration either). The frames between two timed
 * ones share the gap evenly, and those after the last timed one go on at the pace of the group
 * before. Every other stream's packets must be timed (parsePacketTime refuses one that is not).
 */
function withUntimedAudioSpread(list: RawPacket[]): Array<RawPacket & { ticks: number }> {
  const timedAt = list.flatMap((packet, index) => (integerOrUndefined(packet.pts) ?? integerOrUndefined(packet.dts)) === undefined ? [] : [index]);
  if (timedAt.length === list.length || timedAt.length === 0) return list.map((packet) => ({ ...packet, ticks: parsePacketTime(packet.pts, packet.dts) }));
  const ticksOf = (index: number) => parsePacketTime(list[index]!.pts, list[index]!.dts);
  const spread: Array<RawPacket & { ticks: number }> = [];
  let pace = 0;
  timedAt.forEach((start, group) => {
    const end = timedAt[group + 1];
    if (end !== undefined) pace = (ticksOf(end) - ticksOf(start)) / (end - start);
    for (let index = start; index < (end ?? list.length); index++) {
      spread.push({ ...list[index]!, ticks: ticksOf(start) + pace * (index - start), ...(list[index]!.durationTicks === undefined && pace > 0 ? { durationTicks: pace } : {}) });
    }
  });
  return spread;
}

/**
 * The frames of the first video stream that are not flagged discard, sorted by presentation
 * time (listPackets, for callers that need no more); an audio-only file lists nothing.
 */
export async function listVideoFrames(filePath: string, options: ListVideoFramesOptions): Promise<VideoFrame[]> {
  return (await listPackets(filePath, options)).video.filter((frame) => !frame.discard);
}

function secondsIn(stream: StreamInfo, kind: string): (ticks: number) => number {
  if (stream.timeBase === undefined) throw new InternalError('INTERNAL', `ffprobe listed ${kind} packets but no time base`);
  const [num, den] = stream.timeBase;
  return (ticks) => (ticks * num) / den;
}

function integerOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

function parsePacketTime(pts: string | undefined, dts: string | undefined): number {
  const ticks = integerOrUndefined(pts) ?? integerOrUndefined(dts);
  if (ticks === undefined) throw new InputRejectedError('CORRUPT_INPUT', 'a packet has no timestamp');
  return ticks;
}
