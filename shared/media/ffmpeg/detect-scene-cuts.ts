/**
 * Where the shots change: one decode of the source's video, each frame scaled down and scored
 * by ffmpeg's scdet filter against the one before it. scdet is ffmpeg's filter made for this
 * (select's `scene` score is the same measure, scaled 0–1): with `sc_pass` only the frames
 * at or over the threshold go on, and the metadata filter writes each one's timestamp to a
 * stats file in the work directory, which is parsed here (no scraping of stderr).
 *
 * The timestamps are the source's own (`-copyts`), in microseconds (`settb=AVTB`): scdet's and
 * metadata's `pts_time` print six significant digits, too coarse for a transport stream's
 * clock (hours in). The planner (plan-scene-cuts.ts) snaps each to a frame of the listing.
 * Nothing is turned upright or deinterlaced: a cut scores the same either way. The decode is the
 * cost (scaling and scoring add ~7% to it): on a 20 s 1080p H.264 source, about as much CPU as the
 * rest of the split (probe, listing, stream copies, stills) and a few percent of the ladder's encode.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError } from '../../errors.ts';
import { decimal, integer, outputPath, seconds } from './ffmpeg-args.ts';
import { runFfmpeg } from './run-ffmpeg.ts';
import { sourceInputOptions, type MediaInputFormat } from './source-demuxer.ts';

export interface DetectSceneCutsOptions {
  sourcePath: string;
  format: MediaInputFormat;
  /** scdet's threshold, 0–100 (the profile's sceneCuts.threshold). */
  threshold: number;
  /** Frames are scored inside a box this wide and high, aspect kept. */
  detectWidth: number;
  /** Reads no more of the source than this: the splitter's duration cap bounds the decode. */
  maxSeconds: number;
  /** Where the stats file goes (removed with it by the caller). */
  workDir: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** One entry of the metadata filter's print: `frame:0    pts:1300000 pts_time:1.3`. */
const FRAME_LINE = /^frame:\d+\s+pts:(-?\d+)\s+pts_time:\S+$/;
/** What the metadata filter prints under each frame: its keys (scdet's score, mafd, time). */
const METADATA_LINE = /^lavfi\.[a-z_.]+=\S*$/;
const MICROSECONDS = 1e6;

/** The source times (seconds) of the first frame of every shot but the first, in order. */
export async function detectSceneCuts(options: DetectSceneCutsOptions): Promise<number[]> {
  const { sourcePath, format, workDir, timeoutMs, signal } = options;
  const statsPath = filterSafePath(join(workDir, 'scene-cuts.txt'));
  const box = integer(options.detectWidth, 16, 4096);
  const graph = [
    `[0:V:0]scale=w=${box}:h=${box}:force_original_aspect_ratio=decrease:flags=area`,
    'settb=AVTB',
    `scdet=threshold=${decimal(options.threshold, 0, 100)}:sc_pass=1`,
    `metadata=mode=print:file=${statsPath}[cuts]`,
  ].join(',');
  await runFfmpeg({
    task: 'detect scene cuts',
    // -skip_loop_filter: deblocking moves a frame's mean difference by a hair and costs ~10% of the decode.
    inputs: [{ path: sourcePath, options: [...sourceInputOptions(format), '-noautorotate', '-skip_loop_filter', 'all', '-copyts', '-t', seconds(options.maxSeconds, 'up')] }],
    filterGraph: graph,
    // The null muxer writes nothing: the stats file is the output.
    outputs: [{ path: join(workDir, 'scene-cuts.null'), options: ['-map', '[cuts]', '-fps_mode', 'passthrough', '-f', 'null'] }],
    timeoutMs,
    signal,
  });
  const stats = await readFile(statsPath, 'utf8').catch((error: unknown) => {
    throw new InternalError('ENCODER_FAILED', 'detect scene cuts: ffmpeg wrote no stats file', { cause: error });
  });
  return parseSceneCutStats(stats);
}

/** The timestamps of the frames the metadata filter printed, in seconds; any other line is an error of ours. */
export function parseSceneCutStats(stats: string): number[] {
  const times: number[] = [];
  for (const line of stats.split('\n')) {
    if (line.trim() === '' || METADATA_LINE.test(line)) continue;
    const frame = FRAME_LINE.exec(line.trim());
    if (!frame) throw new InternalError('ENCODER_FAILED', `detect scene cuts: unexpected stats line ${JSON.stringify(line.slice(0, 200))}`);
    times.push(Number(frame[1]) / MICROSECONDS);
  }
  return times;
}

/**
 * A path that can stand unescaped as a filter option's value: inside the work directory, and
 * none of the filtergraph's special characters (`:` `,` `;` `'` `\` `[` `]` `=`), nor a protocol
 * prefix. The pipeline chooses it (the job's work directory), so refusing is a bug of ours.
 */
function filterSafePath(path: string): string {
  if (!/^[\w./-]+$/.test(outputPath(path))) throw new TypeError(`not usable in a filter graph: ${JSON.stringify(path)}`);
  return path;
}
