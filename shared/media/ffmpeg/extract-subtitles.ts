/**
 * One text subtitle stream of the source as WebVTT on the renditions' timeline. ffmpeg converts
 * it (mov_text, SubRip, ASS/SSA, WebVTT; the track planner picks only those) with its source
 * timestamps, moved up by INTERMEDIATE_FORMAT's offset as the audio's are: ffmpeg's WebVTT muxer
 * writes a negative time as garbage, and left to avoid them it shifts the whole track off the
 * video. The cues are then moved down by that offset plus `startSeconds`, the source time of the
 * video's first frame, as encode-audio.ts moves the audio (shift-webvtt.ts).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { shiftWebVtt } from '../webvtt/shift-webvtt.ts';
import { integer, outputPath as checkedOutput, seconds } from './ffmpeg-args.ts';
import { INTERMEDIATE_FORMAT } from './intermediate-format.ts';
import { runFfmpeg } from './run-ffmpeg.ts';
import { sourceInputOptions, type MediaInputFormat } from './source-demuxer.ts';

export interface ExtractSubtitlesOptions {
  sourcePath: string;
  format: MediaInputFormat;
  /** ffprobe's index of the subtitle stream. */
  streamIndex: number;
  /** Source time that becomes zero: the video's first frame. */
  startSeconds: number;
  /** A .vtt file. */
  outputPath: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** More streams than any accepted upload may have (MAX_STREAMS); only bounds the number. */
const MAX_STREAM_INDEX = 1023;

export async function extractSubtitles(options: ExtractSubtitlesOptions): Promise<void> {
  const { sourcePath, format, streamIndex, startSeconds, timeoutMs, signal } = options;
  const outputPath = checkedOutput(options.outputPath);
  const sourceTimed = `${outputPath}.source.vtt`;
  try {
    await runFfmpeg({
      task: 'extract subtitles',
      inputs: [{ path: sourcePath, options: [...sourceInputOptions(format), '-copyts'] }],
      outputs: [
        {
          path: sourceTimed,
          options: [
            '-map', `0:${integer(streamIndex, 0, MAX_STREAM_INDEX)}`,
            '-map_metadata', '-1', '-map_chapters', '-1',
            '-c:s', 'webvtt',
            '-output_ts_offset', seconds(INTERMEDIATE_FORMAT.timestampOffsetSeconds),
            '-avoid_negative_ts', 'disabled',
            '-f', 'webvtt',
          ],
        },
      ],
      timeoutMs,
      signal,
    });
    const text = await readFile(sourceTimed, 'utf8');
    await writeFile(outputPath, shiftWebVtt(text, startSeconds + INTERMEDIATE_FORMAT.timestampOffsetSeconds));
  } finally {
    await rm(sourceTimed, { force: true });
  }
}
