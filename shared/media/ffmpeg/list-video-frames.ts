/**
 * Every packet of an upload's first video stream, read under the same whitelists as probeMedia
 * (probe-media.ts): the frame count, exact timestamps and where the keyframes are.
 */
import { InputRejectedError, InternalError } from '../../errors.ts';
import { fileUrl } from './ffmpeg-args.ts';
import type { VideoFrame } from './media-facts.ts';
import { parseRatio } from './ratio.ts';
import { runFfprobe, type FfprobeRunOptions } from './run-ffprobe.ts';
import { sourceInputOptions, type MediaInputFormat } from './source-demuxer.ts';

export interface ListVideoFramesOptions extends FfprobeRunOptions {
  format: MediaInputFormat;
  /** More video packets than this is rejected as INPUT_TOO_LARGE (default 1,000,000). */
  maxFrames?: number;
}

/** Listing demuxes the whole file (no decoding): bounded by disk speed. */
const DEFAULT_LIST_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_FRAMES = 1_000_000;
/** One listing line (`packet|pts=…|dts=…|flags=K__`) is under 64 bytes. */
const MAX_LISTING_BYTES_PER_FRAME = 64;

/**
 * Every packet of the first video stream (not cover art), sorted by presentation time. Read from
 * the packets alone (`-show_entries packet=…` with `-nofind_stream_info`): nothing is decoded. An
 * audio-only file lists nothing.
 *
 * Precision: ffprobe's pts are integers in the stream's time base (e.g. 1/15360 for mp4 from
 * ffmpeg, 1/1000 for Matroska); each `pts` here is `ticks × num / den` computed once in double
 * precision, so it is within one ulp (~1e-15 relative) of the exact rational, and times keep the
 * order and equality of the ticks. A packet without a pts takes its dts; packets flagged discard
 * (decoded but never shown, e.g. before an edit list's start) are left out.
 */
export async function listVideoFrames(filePath: string, options: ListVideoFramesOptions): Promise<VideoFrame[]> {
  const maxFrames = options.maxFrames ?? DEFAULT_MAX_FRAMES;
  const ticks: Array<{ ticks: number; keyframe: boolean }> = [];
  let timeBase: [number, number] | undefined;
  await runFfprobe(
    [
      '-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file', ...sourceInputOptions(options.format),
      // Stream parameters come from the container; no frame is decoded to guess them.
      '-nofind_stream_info',
      '-select_streams', 'V:0',
      '-show_entries', 'packet=pts,dts,flags:stream=time_base',
      '-of', 'compact',
      '-i', fileUrl(filePath),
    ],
    {
      ffprobePath: options.ffprobePath,
      timeoutMs: options.timeoutMs ?? DEFAULT_LIST_TIMEOUT_MS,
      // A bound on the output as well as on the count: a line is under 64 bytes.
      maxOutputBytes: (maxFrames + 16) * MAX_LISTING_BYTES_PER_FRAME,
      onLine: (line) => {
        const [section, ...fields] = line.split('|');
        const values = new Map(fields.map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)]));
        if (section === 'stream') {
          timeBase = parseRatio(values.get('time_base'));
        } else if (section === 'packet') {
          const flags = values.get('flags') ?? '';
          if (flags.includes('D')) return;
          if (ticks.length >= maxFrames) {
            throw new InputRejectedError('INPUT_TOO_LARGE', `the video has more than ${maxFrames} frames`);
          }
          ticks.push({ ticks: parsePacketTime(values.get('pts'), values.get('dts')), keyframe: flags.startsWith('K') });
        }
      },
    },
  );
  if (ticks.length === 0) return [];
  if (timeBase === undefined) throw new InternalError('INTERNAL', 'ffprobe listed video packets but no time base');
  const [num, den] = timeBase;
  return ticks.sort((a, b) => a.ticks - b.ticks).map((frame) => ({ pts: (frame.ticks * num) / den, keyframe: frame.keyframe }));
}

function parsePacketTime(pts: string | undefined, dts: string | undefined): number {
  for (const text of [pts, dts]) {
    if (text !== undefined && /^-?\d+$/.test(text)) {
      const ticks = Number(text);
      if (Number.isSafeInteger(ticks)) return ticks;
    }
  }
  throw new InputRejectedError('CORRUPT_INPUT', 'a video packet has no timestamp');
}
