/**
 * B: what a user who skips the pipeline would write — one ffmpeg command that decodes the
 * source once and writes every output the pipeline writes:
 *   - per rung, one x264 encode teed to a faststart MP4 and an fMP4 HLS rendition (same segment
 *     length), each with its AAC audio (ffmpeg encodes audio per output: a few tenths of a
 *     CPU-second per rung, beside the pipeline's one audio encode);
 *   - the poster at every poster width (JPEG, WebP, AVIF via libaom) and the thumbnails at
 *     their width (JPEG, WebP), at the frames the splitter's own planner picks;
 *   - the storyboard sprites (fps + scale + tile), and by hand the two text files a user would
 *     write: the storyboard's WebVTT and the HLS master playlist.
 * The encoder settings are the pipeline's (the same ladder, CRF, VBV cap, preset, closed GOPs
 * forced on the same grid, Lanczos scaling), so the rungs' bytes and quality compare.
 *
 * Bench code builds this command itself (a tee target is not a plain path, so runFfmpeg cannot
 * carry it); every number in it goes through ffmpeg-args.ts's checked formatters and every path
 * is one this module chose.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Rung } from '../shared/contracts/work-plan.ts';
import { checkedPath, decimal, integer } from '../shared/media/ffmpeg/ffmpeg-args.ts';
import { listVideoFrames } from '../shared/media/ffmpeg/list-video-frames.ts';
import type { MediaFacts } from '../shared/media/ffmpeg/media-facts.ts';
import { probeMedia } from '../shared/media/ffmpeg/probe-media.ts';
import { readMp4Info } from '../shared/media/ffmpeg/read-mp4-info.ts';
import { RENDITION_PROFILE } from '../shared/rendition-profile.ts';
import { planStoryboard, storyboardCues, type StoryboardLayout } from '../shared/storyboard/plan-storyboard.ts';
import { writeStoryboardVtt } from '../shared/storyboard/storyboard-vtt.ts';
import { planLadder } from '../functions/splitter/plan-ladder.ts';
import { frameIndexShownAt, planStills } from '../functions/splitter/plan-stills.ts';

const execFileAsync = promisify(execFile);

export interface EncodeSettings {
  gopSeconds: number;
  segmentSeconds: number;
  preset: string;
  thumbnails: number;
  audio: { bitrateKbps: number; channels: number; sampleRate: number };
}

export interface SingleFfmpegPlan {
  sourcePath: string;
  facts: MediaFacts;
  rungs: Rung[];
  /** Every frame's time (source timeline), for the stills' frame numbers. */
  framesSeconds: number[];
  durationSeconds: number;
}

/** Probing and listing frames: outside B's timed window (a user knows their file; the pipeline's splitter pays for both). */
export async function planSingleFfmpeg(sourcePath: string): Promise<SingleFfmpegPlan> {
  const facts = await probeMedia(sourcePath, { format: 'mp4', limits: { maxDurationSeconds: 4 * 3600, maxWidth: 7680, maxHeight: 4320, maxStreams: 8 } });
  if (!facts.video) throw new Error(`${sourcePath} has no video`);
  const frames = await listVideoFrames(sourcePath, { format: 'mp4' });
  const framesSeconds = frames.map((frame) => frame.pts);
  const last = framesSeconds.length > 1 ? framesSeconds.at(-1)! - framesSeconds.at(-2)! : 1 / facts.video.frameRate;
  return {
    sourcePath,
    facts,
    rungs: planLadder({ width: facts.video.width, height: facts.video.height }),
    framesSeconds,
    durationSeconds: framesSeconds.at(-1)! + last - framesSeconds[0]!,
  };
}

export interface SingleFfmpegResult {
  workDir: string;
  /** Per rung name: the MP4 (with audio). */
  outputs: Record<string, { path: string; bytes: number; frames: number; width: number; height: number }>;
  /** Everything else it wrote, for the report's "same outputs" line. */
  extras: { hlsBytes: number; hlsSegments: number; stills: number; storyboardSprites: number };
}

/** The x264 options of one rung: the pipeline's (encode-chunk.ts), over the whole file. */
function rungVideoOptions(rung: Rung, settings: EncodeSettings): string[] {
  const gop = decimal(settings.gopSeconds, 0.1, 60);
  return [
    '-c:v', 'libx264', '-preset', settings.preset, '-profile:v', 'high',
    '-crf', decimal(rung.crf, 0, 51),
    '-maxrate', `${integer(rung.maxrateKbps, 1, 1_000_000)}k`,
    '-bufsize', `${integer(rung.bufsizeKbps, 1, 2_000_000)}k`,
    '-sc_threshold', '0', '-x264-params', 'keyint=infinite:open-gop=0', '-forced-idr', '1',
    '-force_key_frames', `expr:gte(t,n_forced*${gop}-0.0001)`,
  ];
}

/** The whole command's arguments: pure, so a unit test can read it. */
export function singleFfmpegArgs(plan: SingleFfmpegPlan, settings: EncodeSettings, workDir: string): { args: string[]; storyboard: StoryboardLayout; hlsDirs: Record<string, string> } {
  const dir = checkedPath(workDir);
  const { rungs, framesSeconds, durationSeconds } = plan;
  const video = plan.facts.video!;
  const stills = planStills({ framesSeconds, endSeconds: framesSeconds[0]! + durationSeconds, thumbnails: settings.thumbnails });
  const frameOf = (seconds: number) => integer(frameIndexShownAt(framesSeconds, seconds), 0, 10_000_000);
  const posterWidths = RENDITION_PROFILE.poster.widths.filter((width) => width <= video.width);
  const thumbWidth = Math.min(RENDITION_PROFILE.thumbnails.widths[0]!, video.width);
  const storyboard = planStoryboard({ durationSeconds, width: video.width, height: video.height, profile: RENDITION_PROFILE.storyboard });
  const graph = [
    `[0:v:0]split=${rungs.length + posterWidths.length + (stills.thumbnailSeconds.length > 0 ? 1 : 0) + 1}${[...rungs.map((_, i) => `[r${i}]`), ...posterWidths.map((_, i) => `[p${i}]`), ...(stills.thumbnailSeconds.length > 0 ? ['[t]'] : []), '[sb]'].join('')}`,
    ...rungs.map((rung, i) => `[r${i}]scale=w=${integer(rung.width, 2, 8192)}:h=${integer(rung.height, 2, 8192)}:flags=lanczos,setsar=1,format=yuv420p[v${i}]`),
    ...posterWidths.map((width, i) => `[p${i}]select='eq(n,${frameOf(stills.posterSeconds)})',scale=w=${integer(width, 2, 8192)}:h=-2:flags=lanczos,split=3[p${i}jpg][p${i}webp][p${i}avif]`),
    ...(stills.thumbnailSeconds.length > 0
      ? [`[t]select='${stills.thumbnailSeconds.map((seconds) => `eq(n,${frameOf(seconds)})`).join('+')}',scale=w=${integer(thumbWidth, 2, 8192)}:h=-2:flags=lanczos,split=2[tjpg][twebp]`]
      : []),
    `[sb]fps=1/${decimal(storyboard.intervalSeconds, 0.1, 3600)},scale=w=${integer(storyboard.tileWidth, 2, 8192)}:h=${integer(storyboard.tileHeight, 2, 8192)}:flags=lanczos,tile=${integer(storyboard.columns, 1, 100)}x${integer(storyboard.rows, 1, 100)}[sprites]`,
  ].join(';');
  const audio = plan.facts.audio
    ? ['-map', '0:a:0', '-c:a', 'aac', '-b:a', `${integer(settings.audio.bitrateKbps, 8, 1024)}k`, '-ac', integer(settings.audio.channels, 1, 8), '-ar', integer(settings.audio.sampleRate, 8000, 192_000)]
    : [];
  const hlsDirs = Object.fromEntries(rungs.map((rung) => [rung.name, join(dir, 'hls', rung.name)]));
  const segment = integer(settings.segmentSeconds, 1, 60);
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-protocol_whitelist', 'file', '-i', `file:${checkedPath(plan.sourcePath)}`,
    '-filter_complex', graph,
    ...rungs.flatMap((rung, i) => [
      '-map', `[v${i}]`, ...rungVideoOptions(rung, settings), ...audio,
      '-f', 'tee',
      `[f=mp4:movflags=+faststart]${join(dir, `${rung.name}.mp4`)}|[f=hls:hls_time=${segment}:hls_playlist_type=vod:hls_segment_type=fmp4:hls_segment_filename=${join(hlsDirs[rung.name]!, '%03d.m4s')}]${join(hlsDirs[rung.name]!, 'index.m3u8')}`,
    ]),
    ...posterWidths.flatMap((width, i) => [
      '-map', `[p${i}jpg]`, '-frames:v', '1', '-update', '1', join(dir, 'poster', `${width}w.jpg`),
      '-map', `[p${i}webp]`, '-frames:v', '1', '-c:v', 'libwebp', '-update', '1', join(dir, 'poster', `${width}w.webp`),
      '-map', `[p${i}avif]`, '-frames:v', '1', '-c:v', 'libaom-av1', '-cpu-used', '8', '-still-picture', '1', '-update', '1', join(dir, 'poster', `${width}w.avif`),
    ]),
    ...(stills.thumbnailSeconds.length > 0
      ? ['-map', '[tjpg]', '-fps_mode', 'passthrough', join(dir, 'thumbnails', '%02d.jpg'), '-map', '[twebp]', '-fps_mode', 'passthrough', '-c:v', 'libwebp', join(dir, 'thumbnails', '%02d.webp')]
      : []),
    '-map', '[sprites]', '-fps_mode', 'passthrough', '-start_number', '0', join(dir, 'storyboard', '%02d.jpg'),
  ];
  return { args, storyboard, hlsDirs };
}

export async function runSingleFfmpeg(plan: SingleFfmpegPlan, settings: EncodeSettings): Promise<SingleFfmpegResult> {
  const workDir = await mkdtemp(join(tmpdir(), 'fanout-bench-b-'));
  const { args, storyboard, hlsDirs } = singleFfmpegArgs(plan, settings, workDir);
  for (const dir of [...Object.values(hlsDirs), join(workDir, 'poster'), join(workDir, 'thumbnails'), join(workDir, 'storyboard')]) await mkdir(dir, { recursive: true });
  await execFileAsync('ffmpeg', args, { maxBuffer: 4 * 1024 * 1024, timeout: 60 * 60_000 });

  // The two text files a user writes by hand (no measurable CPU).
  const master = ['#EXTM3U', '#EXT-X-VERSION:7', ...plan.rungs.flatMap((rung) => [`#EXT-X-STREAM-INF:BANDWIDTH=${rung.maxrateKbps * 1000},RESOLUTION=${rung.width}x${rung.height}`, `${rung.name}/index.m3u8`])];
  await writeFile(join(workDir, 'hls', 'master.m3u8'), `${master.join('\n')}\n`);
  const sprites = (await readdir(join(workDir, 'storyboard'))).filter((name) => name.endsWith('.jpg')).sort();
  await writeFile(join(workDir, 'storyboard', 'storyboard.vtt'), writeStoryboardVtt(storyboardCues(storyboard).map((cue) => ({ ...cue, url: sprites[cue.sprite] ?? `${String(cue.sprite).padStart(2, '0')}.jpg` }))));

  const outputs: SingleFfmpegResult['outputs'] = {};
  for (const rung of plan.rungs) {
    const path = join(workDir, `${rung.name}.mp4`);
    const [{ videoFrames }, { size }] = await Promise.all([readMp4Info(path), stat(path)]);
    outputs[rung.name] = { path, bytes: size, frames: videoFrames, width: rung.width, height: rung.height };
  }
  let hlsBytes = 0;
  let hlsSegments = 0;
  for (const dir of Object.values(hlsDirs)) {
    for (const name of await readdir(dir)) {
      hlsBytes += (await stat(join(dir, name))).size;
      if (name.endsWith('.m4s')) hlsSegments++;
    }
  }
  const stills = (await readdir(join(workDir, 'poster'))).length + (await readdir(join(workDir, 'thumbnails'))).length;
  return { workDir, outputs, extras: { hlsBytes, hlsSegments, stills, storyboardSprites: sprites.length } };
}
