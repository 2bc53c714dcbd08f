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
 * The codec allowlist (codec-allowlist.ts) is enforced on the report. probeMedia decodes the
 * first frames of each stream to learn the pixel format; listVideoFrames decodes nothing. Each
 * ffprobe run is bounded by a timeout and a cap on its output (run-ffprobe.ts).
 *
 * Only the first video stream that is not an attached picture (cover art) is used; the encoder
 * must select the same one (`0:V:0`). The first audio stream is checked against the allowlist;
 * every audio and subtitle stream is listed with its labels (language, title, default) for the
 * track planner. Other streams (data) only count towards the stream limit.
 */
import { z } from 'zod';
import { InputRejectedError, InternalError } from '../../errors.ts';
import { Rotation } from '../rotation.ts';
import { AudioCodec, VideoCodec } from './codec-allowlist.ts';
import { fileUrl } from './ffmpeg-args.ts';
import { listPackets, listVideoFrames } from './list-video-frames.ts';
import { type AudioFacts, MediaFacts, type MediaLimits, type StreamLabel, type VideoFacts } from './media-facts.ts';
import { parseRatio } from './ratio.ts';
import { runFfprobe, type FfprobeRunOptions } from './run-ffprobe.ts';
import { DEMUXERS, sourceInputOptions, type Demuxer, type MediaInputFormat } from './source-demuxer.ts';

export interface ProbeMediaOptions extends FfprobeRunOptions {
  format: MediaInputFormat;
  limits: MediaLimits;
  /**
   * Count the frames where the container states no count (Matroska, a fragmented MP4), with a
   * demux pass over the whole file. Default true; the splitter passes false, since it lists every
   * frame afterwards anyway (one pass instead of two) and counts them there.
   */
  countFrames?: boolean;
}

/** Probing reads the headers and decodes a few frames; counting Matroska's frames also demuxes the file. */
const DEFAULT_PROBE_TIMEOUT_MS = 60_000;
/** The report is a few hundred bytes per stream and the streams are capped: 1 MiB is ample. */
const MAX_REPORT_BYTES = 1024 * 1024;

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

/** "30000/1001", "4:3"; unknown values become undefined (ratio.ts). */
const optionalRatio = z.string().optional().transform(parseRatio);

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
  disposition: z.object({ attached_pic: z.number().int().optional(), default: z.number().int().optional() }).optional(),
  tags: z.object({ language: z.string().optional(), title: z.string().optional() }).optional(),
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
  'stream_disposition=attached_pic,default',
  'stream_tags=language,title',
  'stream_side_data=rotation',
].join(':');

/**
 * What the file holds, checked against the limits. Rejects (InputRejectedError) with:
 * CORRUPT_INPUT when ffprobe cannot read it (no moov, truncated, not the sniffed container), its
 * packets span no time (where it states no duration, they are measured) or it states no size; DEMUXER_NOT_ALLOWED when ffprobe read it with another demuxer than
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
      ...(demuxer.statesFrameCount || options.countFrames === false ? [] : ['-count_packets']),
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

  const statedSeconds = report.format.duration ?? Math.max(0, ...report.streams.map((stream) => stream.duration ?? 0));
  // A browser's WebM (MediaRecorder) states none, and a header may claim more than the file
  // holds: then measure what the packets span (the splitter plans from the packets anyway).
  const durationSeconds = statedSeconds > 0 && statedSeconds <= limits.maxDurationSeconds ? statedSeconds : await measureDuration(context);
  if (!(durationSeconds > 0)) throw new InputRejectedError('CORRUPT_INPUT', 'the file states no duration, and its packets span none');
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
  const labels = (type: string) => report.streams.filter((stream) => stream.codec_type === type).map(streamLabel);
  return { format, durationSeconds, startSeconds, ...(video && { video }), ...(audio && { audio }), audioStreams: labels('audio'), subtitleStreams: labels('subtitle'), streamCount };
}

function streamLabel(stream: FfprobeStream): StreamLabel {
  const { language, title } = stream.tags ?? {};
  return { index: stream.index, codec: stream.codec_name ?? 'unknown', ...(language && { language }), ...(title && { title }), default: stream.disposition?.default === 1 };
}

/** From the first packet shown to the end of the last one, video and audio together. */
async function measureDuration(context: ReadFactsContext): Promise<number> {
  const { video, audio } = await listPackets(context.filePath, context);
  const shown = video.filter((frame) => !frame.discard);
  const last = shown.at(-1);
  const starts = [...(shown[0] ? [shown[0].pts] : []), ...(audio ? [audio.startSeconds] : [])];
  const ends = [...(last ? [last.pts + (last.durationSeconds ?? 0)] : []), ...(audio ? [audio.endSeconds] : [])];
  return starts.length === 0 ? 0 : Math.max(...ends) - Math.min(...starts);
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

  const frameCount = await countFrames(stream, context);
  const rate = stream.avg_frame_rate ?? stream.r_frame_rate;
  // Without a stated rate, the count gives one; without either, the listing will.
  const frameRate = rate === undefined ? (frameCount ?? (await listVideoFrames(context.filePath, context)).length) / durationSeconds : rate[0] / rate[1];
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
    ...(frameCount === undefined ? {} : { frameCount }),
    pixelFormat: stream.pix_fmt,
    interlaced: await isInterlaced(stream, context),
  };
}

/** As the container states it, else counted packet by packet (unless the caller counts them itself). */
async function countFrames(stream: FfprobeStream, context: ReadFactsContext): Promise<number | undefined> {
  const stated = context.demuxer.statesFrameCount ? stream.nb_frames : stream.nb_read_packets;
  if (stated !== undefined && stated > 0) return stated;
  if (context.countFrames === false) return undefined;
  // A fragmented MP4 may state no count in its moov: count the packets then.
  return (await listVideoFrames(context.filePath, context)).length;
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

function formatSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(3))} s`;
}
