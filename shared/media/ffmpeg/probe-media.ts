/**
 * Probing untrusted media with ffprobe, under whitelists. The input is always a local file the
 * caller chose (never a URL, never a name derived from the object key), and nothing ffprobe is
 * told comes from the file's name or bytes, except through the sniffed format below.
 *
 * What keeps ffprobe inside the file:
 *   - the path goes in as `file:<absolute path>` and `-protocol_whitelist file` stops every other
 *     protocol (http, tcp, concat, subfile, data, crypto…), for the top-level open and every
 *     nested one a demuxer might make;
 *   - the demuxer is FORCED from the sniffed container (`-f`), never picked by probing the bytes,
 *     so a text file named .mp4 is never read as an HLS playlist or an ffconcat script (either
 *     would open other files or URLs); `-format_whitelist` names that one demuxer again, so any
 *     other is refused before it reads a header (on its own it keeps both attacks out too), and
 *     the report's format_name must be that demuxer's (DEMUXER_NOT_ALLOWED otherwise);
 *   - the mov demuxer's external references stay off: `-enable_drefs 0` (data references to other
 *     files) and `-use_absolute_path 0` (absolute paths in alias records). The other allowed
 *     demuxers (matroska, mp3, wav, flac, ogg, aac) have no option that reaches outside the file;
 *   - `-max_streams` caps how many streams the demuxer may create, so a stream bomb fails fast.
 * The codec allowlist is enforced on the report, not with ffprobe's `-codec_whitelist`: ffprobe
 * opens a decoder for every stream and fails the whole probe if one is off that list, and the list
 * holds decoder names, which differ between builds (mp3float, libdav1d), so cover art or a
 * subtitle track would turn a good file into a failed probe. (probeMedia still decodes the first
 * frames of each stream to learn the pixel format; listVideoFrames decodes nothing.)
 *
 * ffprobe is spawned directly (no shell, arguments as an array), not through fluent-ffmpeg's
 * `ffprobe()`: that one has no timeout and no output bound, parses ffprobe's INI output into
 * loosely typed values, and cannot stream the per-packet listing. Each run is killed after a
 * timeout and when its output passes a bound.
 *
 * Only the first video stream that is not an attached picture (cover art) and the first audio
 * stream are used; the encoder must select the same ones (`0:V:0` and `0:a:0`). Other streams
 * (subtitles, data, more audio) only count towards the stream limit.
 */
import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { type FanoutError, InputRejectedError, InternalError, TransientError } from '../../errors.ts';
import { DEMUXERS, MediaInputFormat, sourceInputOptions, type Demuxer } from './source-demuxer.ts';

export { MediaInputFormat };

/** Video codecs the pipeline decodes (ffprobe's codec names). */
export const VideoCodec = z.enum(['h264', 'hevc', 'vp8', 'vp9', 'av1', 'mpeg4', 'prores']);
export type VideoCodec = z.infer<typeof VideoCodec>;

/** Audio codecs the pipeline decodes; PCM is linear PCM only (no A-law, µ-law, ADPCM). */
export const AudioCodec = z.enum([
  'aac', 'mp3', 'opus', 'vorbis', 'flac', 'alac', 'ac3', 'eac3',
  'pcm_u8', 'pcm_s16le', 'pcm_s16be', 'pcm_s24le', 'pcm_s24be', 'pcm_s32le', 'pcm_s32be',
  'pcm_f32le', 'pcm_f32be', 'pcm_f64le', 'pcm_f64be',
]);
export type AudioCodec = z.infer<typeof AudioCodec>;

export const Rotation = z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]);
export type Rotation = z.infer<typeof Rotation>;

const positiveInt = z.number().int().positive();

export const VideoFacts = z.object({
  codec: VideoCodec,
  /** The stored frame size (after the codec's cropping, before rotation and pixel aspect). */
  codedWidth: positiveInt,
  codedHeight: positiveInt,
  /** The displayed size: pixel aspect ratio applied to the width, then rotation; both even. */
  width: positiveInt,
  height: positiveInt,
  /** How far the stored picture is turned clockwise to display it. */
  rotation: Rotation,
  /** Pixel (sample) aspect ratio, [1, 1] when the container leaves it unset. */
  sampleAspectRatio: z.tuple([positiveInt, positiveInt]),
  /** Average frames per second (ffprobe's avg_frame_rate); VFR sources vary around it. */
  frameRate: z.number().positive(),
  /** As the container states it (mov: the sample table) or counted packet by packet (Matroska). */
  frameCount: z.number().int().nonnegative(),
  pixelFormat: z.string().min(1),
  /** Coded as fields (ffprobe's field_order tt, bb, tb or bt): it needs deinterlacing. */
  interlaced: z.boolean(),
});
export type VideoFacts = z.infer<typeof VideoFacts>;

export const AudioFacts = z.object({
  codec: AudioCodec,
  channels: positiveInt,
  sampleRate: positiveInt,
  /** The stream's own duration, or the container's when the stream states none (Matroska). */
  durationSeconds: z.number().positive(),
});
export type AudioFacts = z.infer<typeof AudioFacts>;

export const MediaFacts = z.object({
  format: MediaInputFormat,
  durationSeconds: z.number().positive(),
  /** The container's first presentation time; frame and packet times are on the same clock. */
  startSeconds: z.number(),
  video: VideoFacts.optional(),
  audio: AudioFacts.optional(),
  /** Every stream in the file, used or not. */
  streamCount: positiveInt,
});
export type MediaFacts = z.infer<typeof MediaFacts>;

export interface MediaLimits {
  maxDurationSeconds: number;
  /**
   * The displayed size must fit maxWidth × maxHeight in either orientation: 3840 × 2160 admits a
   * 2160 × 3840 portrait video too.
   */
  maxWidth: number;
  maxHeight: number;
  maxStreams: number;
}

/** Where ffprobe is and how long it may run; the defaults suit a splitter on Lambda. */
export interface FfprobeRunOptions {
  /** An absolute path, or a name looked up in PATH (no shell either way). Default `ffprobe`. */
  ffprobePath?: string;
  timeoutMs?: number;
}

export interface ProbeMediaOptions extends FfprobeRunOptions {
  format: MediaInputFormat;
  limits: MediaLimits;
}

export interface ListVideoFramesOptions extends FfprobeRunOptions {
  format: MediaInputFormat;
  /** More video packets than this is rejected as INPUT_TOO_LARGE (default 1,000,000). */
  maxFrames?: number;
}

export interface VideoFrame {
  /** Presentation time in seconds (see listVideoFrames for the precision). */
  pts: number;
  keyframe: boolean;
}

const DEFAULT_FFPROBE_PATH = 'ffprobe';
/** Probing reads the headers and decodes a few frames; for Matroska it also demuxes the file. */
const DEFAULT_PROBE_TIMEOUT_MS = 60_000;
/** Listing demuxes the whole file (no decoding): bounded by disk speed. */
const DEFAULT_LIST_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_FRAMES = 1_000_000;
/** The report is a few hundred bytes per stream and the streams are capped: 1 MiB is ample. */
const MAX_REPORT_BYTES = 1024 * 1024;
/** One listing line (`packet|pts=…|dts=…|flags=K__`) is under 64 bytes. */
const MAX_LISTING_BYTES_PER_FRAME = 64;
/** How much of ffprobe's stderr is kept for an error message (the end, where the cause is). */
const STDERR_TAIL_BYTES = 4096;

/** "N/A" and absent both mean unknown. */
const optionalDecimal = z
  .string()
  .optional()
  .transform((text, context) => {
    if (text === undefined || text === 'N/A') return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) {
      context.addIssue({ code: 'custom', message: `not a number: ${text}` });
      return z.NEVER;
    }
    return value;
  });

/** "30000/1001", "4:3"; "0/0", "0:1", "N/A" and absent mean unknown. */
const optionalRatio = z
  .string()
  .optional()
  .transform((text): [number, number] | undefined => {
    const match = text === undefined ? null : /^(\d+)[/:](\d+)$/.exec(text);
    const num = Number(match?.[1]);
    const den = Number(match?.[2]);
    return num > 0 && den > 0 ? [num, den] : undefined;
  });

/** The fields of `ffprobe -of json` that probeMedia asks for (see REPORT_ENTRIES). */
const FfprobeStream = z.object({
  index: z.number().int(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  sample_aspect_ratio: optionalRatio,
  pix_fmt: z.string().optional(),
  field_order: z.string().optional(),
  avg_frame_rate: optionalRatio,
  r_frame_rate: optionalRatio,
  nb_frames: optionalDecimal,
  nb_read_packets: optionalDecimal,
  sample_rate: optionalDecimal,
  channels: z.number().int().optional(),
  duration: optionalDecimal,
  disposition: z.object({ attached_pic: z.number().int().optional() }).optional(),
  side_data_list: z.array(z.object({ rotation: z.number().optional() })).optional(),
});
type FfprobeStream = z.infer<typeof FfprobeStream>;

const FfprobeReport = z.object({
  streams: z.array(FfprobeStream).default([]),
  format: z.object({
    format_name: z.string(),
    nb_streams: z.number().int(),
    duration: optionalDecimal,
    start_time: optionalDecimal,
  }),
});
type FfprobeReport = z.infer<typeof FfprobeReport>;

const REPORT_ENTRIES = [
  'format=format_name,nb_streams,duration,start_time',
  'stream=index,codec_type,codec_name,width,height,sample_aspect_ratio,pix_fmt,field_order,avg_frame_rate,r_frame_rate,' +
    'nb_frames,nb_read_packets,sample_rate,channels,duration',
  'stream_disposition=attached_pic',
  'stream_side_data=rotation',
].join(':');

/**
 * What the file holds, checked against the limits. Rejects (InputRejectedError) with:
 * CORRUPT_INPUT when ffprobe cannot read it (no moov, truncated, not the sniffed container) or it
 * states no duration or size; DEMUXER_NOT_ALLOWED when ffprobe read it with another demuxer than
 * the forced one; TOO_MANY_STREAMS, NO_MEDIA_STREAMS, UNSUPPORTED_MEDIA_TYPE (a codec outside
 * the allowlists), DURATION_EXCEEDED and DIMENSIONS_EXCEEDED. A probe that outruns its timeout
 * is a TransientError (TASK_TIMED_OUT): the host may have been slow.
 */
export async function probeMedia(filePath: string, options: ProbeMediaOptions): Promise<MediaFacts> {
  const { format, limits } = options;
  const demuxer = DEMUXERS[format];
  const output = await runFfprobe(
    [
      '-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file', ...sourceInputOptions(format),
      '-max_streams', String(limits.maxStreams),
      // Matroska states no per-track frame count: count the packets (a demux pass, no decoding).
      ...(demuxer.statesFrameCount ? [] : ['-count_packets']),
      '-show_entries', REPORT_ENTRIES,
      '-of', 'json',
      '-i', fileUrl(filePath),
    ],
    {
      ffprobePath: options.ffprobePath,
      timeoutMs: options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      maxOutputBytes: MAX_REPORT_BYTES,
      describeFailure: (stderr) =>
        /max_streams/.test(stderr)
          ? new InputRejectedError('TOO_MANY_STREAMS', `the file has more streams than the limit of ${limits.maxStreams}`)
          : undefined,
    },
  );
  const facts = await readFacts(parseReport(output), { filePath, ...options, demuxer });
  const checked = MediaFacts.safeParse(facts);
  if (!checked.success) {
    throw new InternalError('INTERNAL', `probe facts break their contract: ${z.prettifyError(checked.error)}`, { cause: checked.error });
  }
  return checked.data;
}

/**
 * Every packet of the first video stream (not cover art), sorted by presentation time: the frame
 * count, exact timestamps (variable frame rate included) and where the keyframes are. Read from
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
          timeBase = parseTimeBase(values.get('time_base'));
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

/** The options that pin ffprobe to the file and to the one allowed demuxer. */

/** `file:` keeps ffmpeg from reading a protocol (or an option) out of the path itself. */
function fileUrl(filePath: string): string {
  if (!isAbsolute(filePath)) throw new InternalError('INTERNAL', `probe input must be an absolute path: ${filePath}`);
  return `file:${resolve(filePath)}`;
}

function parseReport(output: string): FfprobeReport {
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch (error) {
    throw new InternalError('INTERNAL', 'ffprobe printed a report that is not JSON', { cause: error });
  }
  const parsed = FfprobeReport.safeParse(json);
  if (!parsed.success) {
    throw new InternalError('INTERNAL', `ffprobe's report has an unexpected shape: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

interface ReadFactsContext extends ProbeMediaOptions {
  filePath: string;
  demuxer: Demuxer;
}

async function readFacts(report: FfprobeReport, context: ReadFactsContext): Promise<MediaFacts> {
  const { format, limits, demuxer } = context;
  if (report.format.format_name !== demuxer.formatName) {
    throw new InputRejectedError(
      'DEMUXER_NOT_ALLOWED',
      `read by the ${report.format.format_name} demuxer, but a ${format} file may only be read by ${demuxer.formatName}`,
    );
  }
  const streamCount = Math.max(report.format.nb_streams, report.streams.length);
  if (streamCount > limits.maxStreams) {
    throw new InputRejectedError('TOO_MANY_STREAMS', `the file has ${streamCount} streams, at most ${limits.maxStreams} are allowed`);
  }

  const videoStream = report.streams.find((stream) => stream.codec_type === 'video' && stream.disposition?.attached_pic !== 1);
  const audioStream = report.streams.find((stream) => stream.codec_type === 'audio');
  if (videoStream === undefined && audioStream === undefined) {
    const kinds = report.streams.map((stream) => stream.codec_type ?? 'unknown');
    throw new InputRejectedError('NO_MEDIA_STREAMS', `no audio or video stream (streams: ${kinds.join(', ') || 'none'})`);
  }

  const durationSeconds = report.format.duration ?? Math.max(0, ...report.streams.map((stream) => stream.duration ?? 0));
  if (!(durationSeconds > 0)) throw new InputRejectedError('CORRUPT_INPUT', 'the file states no duration');
  if (durationSeconds > limits.maxDurationSeconds) {
    throw new InputRejectedError(
      'DURATION_EXCEEDED',
      `${formatSeconds(durationSeconds)} long, the limit is ${formatSeconds(limits.maxDurationSeconds)}`,
    );
  }

  const audio = audioStream === undefined ? undefined : readAudio(audioStream, durationSeconds);
  const video = videoStream === undefined ? undefined : await readVideo(videoStream, durationSeconds, context);
  const startSeconds = report.format.start_time ?? 0;
  // Absent rather than undefined, so the facts serialise the same way they parse.
  return { format, durationSeconds, startSeconds, ...(video && { video }), ...(audio && { audio }), streamCount };
}

function readAudio(stream: FfprobeStream, containerDuration: number): AudioFacts {
  const codec = AudioCodec.safeParse(stream.codec_name);
  if (!codec.success) {
    throw new InputRejectedError('UNSUPPORTED_MEDIA_TYPE', `audio codec ${stream.codec_name ?? 'unknown'} is not supported`);
  }
  const { channels, sample_rate: sampleRate } = stream;
  if (channels === undefined || channels < 1 || sampleRate === undefined || !Number.isInteger(sampleRate) || sampleRate < 1) {
    throw new InputRejectedError('CORRUPT_INPUT', `audio stream ${stream.index} states no channel count or sample rate`);
  }
  return { codec: codec.data, channels, sampleRate, durationSeconds: stream.duration ?? containerDuration };
}

async function readVideo(stream: FfprobeStream, durationSeconds: number, context: ReadFactsContext): Promise<VideoFacts> {
  const codec = VideoCodec.safeParse(stream.codec_name);
  if (!codec.success) {
    throw new InputRejectedError('UNSUPPORTED_MEDIA_TYPE', `video codec ${stream.codec_name ?? 'unknown'} is not supported`);
  }
  const { width: codedWidth, height: codedHeight } = stream;
  if (codedWidth === undefined || codedHeight === undefined || codedWidth < 1 || codedHeight < 1) {
    throw new InputRejectedError('CORRUPT_INPUT', `video stream ${stream.index} states no frame size`);
  }
  const sampleAspectRatio = stream.sample_aspect_ratio ?? [1, 1];
  const rotation = clockwiseRotation(stream);
  const [width, height] = displayedSize({ codedWidth, codedHeight, sampleAspectRatio, rotation });
  const { maxWidth, maxHeight } = context.limits;
  const fits = (width <= maxWidth && height <= maxHeight) || (width <= maxHeight && height <= maxWidth);
  if (!fits) {
    throw new InputRejectedError('DIMENSIONS_EXCEEDED', `${width}×${height} displayed, the limit is ${maxWidth}×${maxHeight}`);
  }
  if (stream.pix_fmt === undefined || stream.pix_fmt === 'unknown') {
    throw new InputRejectedError('CORRUPT_INPUT', `video stream ${stream.index} has no pixel format: its first frames do not decode`);
  }

  const stated = context.demuxer.statesFrameCount ? stream.nb_frames : stream.nb_read_packets;
  // A fragmented MP4 may state no count in its moov: count the packets then.
  const frameCount = stated !== undefined && stated > 0 ? stated : (await listVideoFrames(context.filePath, context)).length;
  const rate = stream.avg_frame_rate ?? stream.r_frame_rate;
  const frameRate = rate === undefined ? frameCount / durationSeconds : rate[0] / rate[1];
  if (!(frameRate > 0)) throw new InputRejectedError('CORRUPT_INPUT', `video stream ${stream.index} has no frames`);

  return {
    codec: codec.data,
    codedWidth,
    codedHeight,
    width,
    height,
    rotation,
    sampleAspectRatio,
    frameRate,
    frameCount,
    pixelFormat: stream.pix_fmt,
    interlaced: await isInterlaced(stream, context),
  };
}

/**
 * From the stream's field order; where ffprobe leaves it 'unknown' (MPEG-4 Part 2 states it
 * only per frame), from the first frames' own interlace flags.
 */
async function isInterlaced(stream: FfprobeStream, context: ReadFactsContext): Promise<boolean> {
  if (stream.field_order !== undefined && stream.field_order !== 'unknown') return INTERLACED_FIELD_ORDERS.has(stream.field_order);
  const output = await runFfprobe(
    [
      '-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file', ...sourceInputOptions(context.format),
      '-select_streams', 'V:0',
      '-read_intervals', `%+#${FRAMES_FOR_FIELD_ORDER}`,
      '-show_entries', 'frame=interlaced_frame',
      '-of', 'csv=p=0',
      '-i', fileUrl(context.filePath),
    ],
    { ffprobePath: context.ffprobePath, timeoutMs: context.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, maxOutputBytes: 4096 },
  );
  const flags = output.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return flags.length > 0 && flags.filter((flag) => flag === '1').length * 2 > flags.length;
}

/** Top or bottom field first, coded and displayed either way; 'progressive' and 'unknown' are not. */
const INTERLACED_FIELD_ORDERS = new Set(['tt', 'bb', 'tb', 'bt']);
/** Frames decoded to read the interlace flags where the stream states no field order. */
const FRAMES_FOR_FIELD_ORDER = 8;

/**
 * ffprobe reports the display matrix's angle counter-clockwise (a phone held upright records
 * -90); the facts say how far to turn the stored picture clockwise, to the nearest quarter turn.
 * Mirroring in the matrix is not reported by ffprobe 5.1 and is ignored.
 */
function clockwiseRotation(stream: FfprobeStream): Rotation {
  const angle = stream.side_data_list?.find((sideData) => sideData.rotation !== undefined)?.rotation ?? 0;
  const quarterTurns = ((Math.round(-angle / 90) % 4) + 4) % 4;
  return Rotation.parse(quarterTurns * 90);
}

/** The pixel aspect ratio stretches the width; a quarter turn swaps the sides; both even. */
function displayedSize(frame: {
  codedWidth: number;
  codedHeight: number;
  sampleAspectRatio: readonly [number, number];
  rotation: Rotation;
}): [number, number] {
  const [num, den] = frame.sampleAspectRatio;
  const width = even((frame.codedWidth * num) / den);
  const height = even(frame.codedHeight);
  return frame.rotation === 90 || frame.rotation === 270 ? [height, width] : [width, height];
}

/** Encoders for 4:2:0 need even sides: the nearest even number, at least 2. */
function even(value: number): number {
  return Math.max(2, 2 * Math.round(value / 2));
}

function parseTimeBase(text: string | undefined): [number, number] | undefined {
  const match = text === undefined ? null : /^(\d+)\/(\d+)$/.exec(text);
  const num = Number(match?.[1]);
  const den = Number(match?.[2]);
  return num > 0 && den > 0 ? [num, den] : undefined;
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

function formatSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(3))} s`;
}

export interface RunFfprobeOptions {
  ffprobePath: string | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Receives stdout line by line instead of collecting it; a throw stops ffprobe and rejects. */
  onLine?: (line: string) => void;
  /** A more precise rejection for a failed run, from its stderr; CORRUPT_INPUT otherwise. */
  describeFailure?: (stderr: string) => FanoutError | undefined;
}

/**
 * Runs ffprobe without a shell, killing it (SIGKILL) when it outruns the timeout or prints more
 * than maxOutputBytes. Resolves with stdout (empty when onLine takes it).
 */
export function runFfprobe(args: readonly string[], options: RunFfprobeOptions): Promise<string> {
  const ffprobePath = options.ffprobePath ?? DEFAULT_FFPROBE_PATH;
  return new Promise((resolvePromise, rejectPromise) => {
    const child = spawn(ffprobePath, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    let settled = false;
    let stopReason: Error | undefined;
    const settle = (error: Error | undefined, stdout = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) resolvePromise(stdout);
      else rejectPromise(error);
    };
    /** Kills ffprobe; the promise settles with `reason` once it has exited. */
    const stop = (reason: Error): void => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      stop(new TransientError('TASK_TIMED_OUT', `ffprobe did not finish within ${options.timeoutMs} ms`));
    }, options.timeoutMs);

    const collected: string[] = [];
    const decoder = new StringDecoder('utf8');
    let outputBytes = 0;
    let partialLine = '';
    const takeLines = (text: string, final: boolean): void => {
      const lines = (partialLine + text).split('\n');
      partialLine = final ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        if (line === '' || stopReason !== undefined) continue;
        try {
          options.onLine?.(line);
        } catch (error) {
          stop(error instanceof Error ? error : new Error(String(error)));
        }
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (stopReason !== undefined) return;
      outputBytes += chunk.length;
      if (outputBytes > options.maxOutputBytes) {
        stop(new InputRejectedError('INPUT_TOO_LARGE', `ffprobe's output passed ${options.maxOutputBytes} bytes`));
        return;
      }
      const text = decoder.write(chunk);
      if (options.onLine) takeLines(text, false);
      else collected.push(text);
    });

    let stderrTail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderrTail = (stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });

    child.on('error', (error) => {
      settle(new InternalError('INTERNAL', `ffprobe could not be run (${ffprobePath}): ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      if (stopReason !== undefined) return settle(stopReason);
      if (code === 0) {
        const rest = decoder.end();
        if (options.onLine) {
          takeLines(rest, true);
          return settle(stopReason);
        }
        return settle(undefined, collected.join('') + rest);
      }
      // Killed by a signal we did not send (the OOM killer, a reaped sandbox): not the file's doing.
      if (signal !== null) return settle(new TransientError('WORKER_CRASHED', `ffprobe was killed by ${signal}`));
      const stderr = stderrTail.trim();
      const described = options.describeFailure?.(stderr);
      if (described) return settle(described);
      settle(new InputRejectedError('CORRUPT_INPUT', `ffprobe could not read the file (exit code ${code}): ${causeOf(stderr)}`));
    });
  });
}

/**
 * The cause, from the end of ffprobe's stderr: its last two messages without the log context
 * ("[mov,mp4,… @ 0x…]") or the input's path, e.g. "moov atom not found; Invalid data found when
 * processing input".
 */
function causeOf(stderr: string): string {
  const messages = stderr
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\] /, '').replace(/^file:.*?: /, '').trim())
    .filter((line) => line !== '');
  const cause = [...new Set(messages.slice(-2))].join('; ');
  return cause.length > 300 ? `${cause.slice(0, 300)}…` : cause || 'no message';
}
