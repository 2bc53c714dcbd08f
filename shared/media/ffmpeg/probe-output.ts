/**
 * Reads back what the pipeline itself wrote (an encoded chunk, an assembled MP4): frame counts,
 * durations, codecs. Uploads go through probe-media.ts and its whitelists instead; these files
 * are ours, but are still read as `file:` only, through the same bounded ffprobe runner (a
 * timeout, a cap on its output). MP4's sample tables make `nb_frames` exact.
 */
import { z } from 'zod';
import { InternalError } from '../../errors.ts';
import { fileUrl } from './ffmpeg-args.ts';
import { parseRatio } from './ratio.ts';
import { runFfprobe } from './run-ffprobe.ts';

const OUTPUT_PROBE_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_REPORT_BYTES = 1024 * 1024;

const count = z.coerce.number().int().nonnegative();
const optionalNumber = z.union([z.number(), z.string()]).optional().transform((value) => {
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
});

const ProbedStream = z.object({
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  profile: z.union([z.string(), z.number()]).optional(),
  width: optionalNumber,
  height: optionalNumber,
  nb_frames: optionalNumber,
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  duration: optionalNumber,
  sample_rate: optionalNumber,
  channels: optionalNumber,
});
const Probed = z.object({
  streams: z.array(ProbedStream),
  format: z.object({ duration: optionalNumber, size: optionalNumber }),
});

export interface OutputFacts {
  durationSeconds: number;
  video?: {
    codec: string;
    width: number;
    height: number;
    frames: number;
    durationSeconds: number;
    /** The rate all timestamps fit (r_frame_rate: a VFR stream's fastest, roughly), else the average; undefined if neither is sane. */
    frameRate: number | undefined;
  };
  audio?: { codec: string; profile: string; sampleRate: number; channels: number; durationSeconds: number };
}

export async function probeOutput(path: string): Promise<OutputFacts> {
  const report = await runFfprobe(
    ['-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file', '-show_format', '-show_streams', '-of', 'json', '-i', fileUrl(path)],
    {
      ffprobePath: undefined,
      timeoutMs: OUTPUT_PROBE_TIMEOUT_MS,
      maxOutputBytes: MAX_OUTPUT_REPORT_BYTES,
      // Our own file failing to read is ours to look at, never the upload's fault.
      describeFailure: (stderr) => new InternalError('ENCODER_FAILED', `probe output ${path}: ${stderr || 'ffprobe failed'}`),
    },
  );
  const probed = Probed.parse(JSON.parse(report));
  const video = probed.streams.find((stream) => stream.codec_type === 'video');
  const audio = probed.streams.find((stream) => stream.codec_type === 'audio');
  return {
    durationSeconds: probed.format.duration ?? 0,
    ...(video && {
      video: {
        codec: video.codec_name ?? 'unknown',
        width: video.width ?? 0,
        height: video.height ?? 0,
        frames: count.parse(video.nb_frames ?? 0),
        durationSeconds: video.duration ?? 0,
        frameRate: saneRate(video.r_frame_rate) ?? saneRate(video.avg_frame_rate),
      },
    }),
    ...(audio && {
      audio: {
        codec: audio.codec_name ?? 'unknown',
        profile: String(audio.profile ?? ''),
        sampleRate: audio.sample_rate ?? 0,
        channels: audio.channels ?? 0,
        durationSeconds: audio.duration ?? 0,
      },
    }),
  };
}

/** "30000/1001" → 29.97; undefined for 0/0 and for a time base posing as a rate (90000/1). */
function saneRate(ratio: string | undefined): number | undefined {
  const parsed = parseRatio(ratio);
  const rate = parsed ? parsed[0] / parsed[1] : Number.NaN;
  return rate <= 240 ? rate : undefined;
}
