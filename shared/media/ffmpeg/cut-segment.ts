/**
 * The splitter's stream copies: one segment per chunk, and the file's audio. Nothing is decoded.
 * Timestamps are kept (`-copyts`, moved up by INTERMEDIATE_FORMAT's offset), so the encoder can
 * pick a chunk's frames by their source pts and the audio can be lined up with the video.
 * Metadata, chapters, subtitles and data streams are left behind: an upload's GPS tags and the
 * like never reach an output.
 */
import { INTERMEDIATE_FORMAT } from './intermediate-format.ts';
import { integer, seconds } from './ffmpeg-args.ts';
import { sourceInputOptions } from './source-demuxer.ts';
import type { MediaInputFormat } from './source-demuxer.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface CutSegmentOptions {
  sourcePath: string;
  /** The sniffed container; picks the demuxer, so ffmpeg never guesses from the bytes. */
  format: MediaInputFormat;
  /** A source keyframe's pts: the last one at or before the chunk's first frame. */
  fromSeconds: number;
  /**
   * The chunk's end (the next chunk's first frame); undefined: to the end of the file. Packets
   * are copied while their dts is below it, which takes every frame with pts below it and every
   * frame those reference.
   */
  toSeconds?: number;
  outputPath: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const COMMON_OUTPUT = ['-map_metadata', '-1', '-map_chapters', '-1', '-c', 'copy'];

/** The source's first video stream (not cover art) from the keyframe at `fromSeconds`, by stream copy. */
export async function cutSegment(options: CutSegmentOptions): Promise<void> {
  const { sourcePath, format, fromSeconds, toSeconds, outputPath, timeoutMs, signal } = options;
  if (toSeconds !== undefined && !(toSeconds > fromSeconds)) throw new RangeError(`segment ends (${toSeconds}) before it starts (${fromSeconds})`);
  await runFfmpeg({
    task: 'cut segment',
    inputs: [
      {
        path: sourcePath,
        // -seek_timestamp: -ss is a pts, not an offset from the file's start time. Rounded up to
        // the microsecond so the seek lands on this keyframe and not the one before.
        options: [...sourceInputOptions(format), '-copyts', '-seek_timestamp', '1', '-ss', seconds(fromSeconds, 'up')],
      },
    ],
    outputs: [
      {
        path: outputPath,
        options: [
          // V: video that is not an attached picture (cover art), as probe-media.ts picks it.
          '-map', '0:V:0',
          ...COMMON_OUTPUT,
          // With -copyts an output -to is a source timestamp, compared with each packet's dts.
          ...(toSeconds === undefined ? [] : ['-to', seconds(toSeconds, 'up')]),
          ...intermediateOutput(),
        ],
      },
    ],
    timeoutMs,
    signal,
  });
}

export interface ExtractAudioOptions {
  sourcePath: string;
  format: MediaInputFormat;
  outputPath: string;
  /** ffprobe's index of the audio stream (a track the planner chose); default: the first audio stream. */
  streamIndex?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** One audio stream of the source, whole, by stream copy (priming packets and all). */
export async function extractAudio(options: ExtractAudioOptions): Promise<void> {
  const { sourcePath, format, outputPath, streamIndex, timeoutMs, signal } = options;
  const stream = streamIndex === undefined ? '0:a:0' : `0:${integer(streamIndex, 0, 1023)}`;
  await runFfmpeg({
    task: 'extract audio',
    inputs: [{ path: sourcePath, options: [...sourceInputOptions(format), '-copyts'] }],
    outputs: [{ path: outputPath, options: ['-map', stream, ...COMMON_OUTPUT, ...intermediateOutput()] }],
    timeoutMs,
    signal,
  });
}

function intermediateOutput(): string[] {
  return [
    '-output_ts_offset', seconds(INTERMEDIATE_FORMAT.timestampOffsetSeconds),
    // The offset already keeps timestamps above zero; nothing may shift them further.
    '-avoid_negative_ts', 'disabled',
    '-f', INTERMEDIATE_FORMAT.muxer,
  ];
}
