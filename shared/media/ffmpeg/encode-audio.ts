/**
 * The whole file's audio, encoded once (per-chunk AAC would click at every seam: each encode
 * starts with its own priming samples, and the seams would drift from the video).
 *
 * The input is extractAudio's copy, with source timestamps. The output's zero is the video's
 * first frame (`startSeconds`): audio before it is cut, a late start is padded with silence, and
 * gaps inside are filled (aresample async), so the tracks stay in sync however the source's
 * streams started. AAC priming from an MP4 source lies below zero and is cut the same way.
 * With `durationSeconds` the track is trimmed or padded to the video's length.
 */
import { decimal, integer, seconds } from './ffmpeg-args.ts';
import { INTERMEDIATE_FORMAT } from './intermediate-format.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface EncodeAudioOptions {
  /** Written by extractAudio. */
  inputPath: string;
  /** An .m4a: MP4 keeps the AAC priming in an edit list, so a stream copy into the rendition keeps it. */
  outputPath: string;
  bitrateKbps: number;
  channels: number;
  sampleRate: number;
  /** Source time that becomes zero: the video's first frame; 0 (the source's own zero) by default. */
  startSeconds?: number;
  /** Trim or pad to this length: the video's. Default: as long as the source's audio. */
  durationSeconds?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function encodeAudio(options: EncodeAudioOptions): Promise<void> {
  const { inputPath, outputPath, bitrateKbps, channels, sampleRate, startSeconds = 0, durationSeconds, timeoutMs, signal } = options;
  const rate = integer(sampleRate, 8000, 96000);
  const origin = seconds(startSeconds + INTERMEDIATE_FORMAT.timestampOffsetSeconds);
  const length = durationSeconds === undefined ? undefined : decimal(durationSeconds, 0.001, 1e7);
  const filters = [
    `asetpts=PTS-${origin}/TB`,
    // async=1: pad or cut to follow the timestamps (first_pts=0 pins the start at zero).
    `aresample=${rate}:async=1:first_pts=0`,
    ...(length === undefined ? [] : [`atrim=end=${length}`, `apad=whole_dur=${length}`]),
  ];
  await runFfmpeg({
    task: 'encode audio',
    inputs: [{ path: inputPath, options: ['-f', INTERMEDIATE_FORMAT.muxer, '-format_whitelist', INTERMEDIATE_FORMAT.muxer, '-copyts'] }],
    filterGraph: `[0:a:0]${filters.join(',')}[a]`,
    outputs: [
      {
        path: outputPath,
        options: [
          '-map', '[a]',
          '-c:a', 'aac',
          '-b:a', `${integer(bitrateKbps, 8, 512)}k`,
          '-ac', integer(channels, 1, 8),
          '-ar', rate,
          '-map_metadata', '-1',
          '-map_chapters', '-1',
          '-f', 'mp4',
        ],
      },
    ],
    timeoutMs,
    signal,
  });
}
