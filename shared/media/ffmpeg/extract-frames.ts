/**
 * Stills for the poster and thumbnails: one PNG per time, upright, with square pixels, at the
 * source's displayed size (image-resize makes the sizes). One ffmpeg process opens the source
 * once per still and seeks each input to its time (input seeking: decoding starts at the
 * keyframe before it, never at the file's start), so N stills cost N short decodes.
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError } from '../../errors.ts';
import { seconds } from './ffmpeg-args.ts';
import { sourceInputOptions } from './source-demuxer.ts';
import type { MediaInputFormat } from './source-demuxer.ts';
import { runFfmpeg } from './run-ffmpeg.ts';
import { deinterlaceFilter } from './deinterlace-filter.ts';
import type { Rotation } from '../rotation.ts';
import { uprightFilter } from './upright-filter.ts';

export interface ExtractFramesOptions {
  sourcePath: string;
  format: MediaInputFormat;
  /**
   * Source times, each a frame's pts (planStills picks frames that exist); each still is the
   * first frame at or after its time, less a tenth of a millisecond for the rounding of the seek.
   */
  timesSeconds: readonly number[];
  /**
   * For each time, the keyframe at or before it: the input seeks there, exactly, and the output
   * skips forward to the time. Without it the input seeks to the time itself, which a demuxer
   * with no index (MPEG-TS) may overshoot past the last keyframe, leaving no frame.
   */
  fromKeyframeSeconds?: readonly number[];
  rotation: Rotation;
  /** The source is interlaced: deinterlace before scaling. */
  deinterlace?: boolean;
  outputDir: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A few dozen inputs in one process is fine; past this, a caller should batch. */
const MAX_STILLS = 50;
/**
 * The seek lands this far before the frame's pts: times are printed to the microsecond, and a
 * pts rounded up would skip its own frame (the last frame's still would then not exist).
 */
const SEEK_TOLERANCE_SECONDS = 1e-4;

export async function extractFrames(options: ExtractFramesOptions): Promise<string[]> {
  const { sourcePath, format, timesSeconds, rotation, deinterlace = false, outputDir, timeoutMs, signal } = options;
  if (timesSeconds.length === 0) return [];
  if (options.fromKeyframeSeconds && options.fromKeyframeSeconds.length !== timesSeconds.length) throw new RangeError('one keyframe time per still');
  const seekTo = (index: number) => Math.min(options.fromKeyframeSeconds?.[index] ?? timesSeconds[index]!, timesSeconds[index]!);
  if (timesSeconds.length > MAX_STILLS) throw new RangeError(`at most ${MAX_STILLS} stills at once, not ${timesSeconds.length}`);
  await mkdir(outputDir, { recursive: true });
  const paths = timesSeconds.map((_, index) => join(outputDir, `still-${String(index).padStart(3, '0')}.png`));
  // Non-square pixels become square at the display width; then 8-bit RGB, then upright.
  const filter = `${deinterlaceFilter(deinterlace)}scale=w='round(iw*sar)':h=ih:flags=lanczos,setsar=1,format=rgb24${uprightFilter(rotation)}`;

  await runFfmpeg({
    task: 'extract frames',
    inputs: timesSeconds.map((_, index) => ({
      path: sourcePath,
      // -seek_timestamp: the time is a pts, not an offset from the file's start time.
      options: [...sourceInputOptions(format), '-noautorotate', '-seek_timestamp', '1', '-ss', seconds(seekTo(index) - SEEK_TOLERANCE_SECONDS)],
    })),
    outputs: paths.map((path, index) => ({
      path,
      // The output's clock starts at the seek point: skip the frames between the keyframe and the still.
      // The lightest PNG compression: a still is an intermediate, re-encoded by image-resize,
      // and full compression of a 1080p frame costs far more CPU than the bytes it saves.
      options: ['-map', `${index}:V:0`, '-ss', seconds(timesSeconds[index]! - seekTo(index)), '-frames:v', '1', '-filter:v', filter, '-map_metadata', '-1', '-c:v', 'png', '-compression_level', '1', '-f', 'image2', '-update', '1'],
    })),
    timeoutMs,
    signal,
  });

  await Promise.all(
    paths.map((path, index) =>
      access(path).catch(() => {
        throw new InternalError('ENCODER_FAILED', `extract frames: no frame at or after ${timesSeconds[index]} s`);
      }),
    ),
  );
  return paths;
}
