/**
 * The yardstick for measured quality: ffmpeg's own ssim filter on the command line, over whole
 * files, built here and not by the pipeline's measure-quality.ts. And a small generated source
 * for the quality tests (test-data generation, not pipeline code).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * SSIM (All) of `distortedPath` against `sourcePath`, both scaled to width×height with `flags`
 * (4:2:0, square pixels), each from its own first frame; ffmpeg's summary line, parsed.
 */
export async function ffmpegSsim(args: { distortedPath: string; sourcePath: string; width: number; height: number; flags: 'bicubic' | 'lanczos'; scaleDistorted?: boolean }): Promise<number> {
  const { distortedPath, sourcePath, width, height, flags, scaleDistorted = true } = args;
  const scaled = `scale=${width}:${height}:flags=${flags},setsar=1,format=yuv420p,setpts=PTS-STARTPTS`;
  const graph = `[0:v]${scaleDistorted ? scaled : 'setsar=1,format=yuv420p,setpts=PTS-STARTPTS'}[d];[1:v]${scaled}[r];[d][r]ssim`;
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', distortedPath, '-i', sourcePath, '-lavfi', graph, '-f', 'null', '-']);
  const all = /SSIM Y:.* All:([0-9.]+)/.exec(stderr)?.[1];
  if (all === undefined) throw new Error(`no SSIM summary for ${distortedPath}:\n${stderr.slice(-500)}`);
  return Number(all);
}

/** ffmpeg's per-frame SSIM (All) over whole files, scaled as ffmpegSsim scales: one value per frame, in order. */
export async function ffmpegSsimFrames(args: { distortedPath: string; sourcePath: string; width: number; height: number; statsPath: string }): Promise<number[]> {
  const { distortedPath, sourcePath, width, height, statsPath } = args;
  const scaled = `scale=${width}:${height}:flags=bicubic,setsar=1,format=yuv420p,setpts=PTS-STARTPTS`;
  await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', distortedPath, '-i', sourcePath, '-lavfi', `[0:v]${scaled}[d];[1:v]${scaled}[r];[d][r]ssim=stats_file=${statsPath}`, '-f', 'null', '-']);
  return (await readFile(statsPath, 'utf8')).split('\n').filter((line) => line.trim() !== '').map((line) => Number(/All:([0-9.]+)/.exec(line)![1]));
}

/**
 * 854×480 (so a 480p and a 360p rung: the smaller one is scaled up to be viewed), 30 fps, 6 s,
 * a keyframe every 2 s, no audio: testsrc2's moving pattern with film grain, so SSIM varies
 * from frame to frame and a misaligned pair of frames would show.
 */
export async function writeGrainySource(path: string): Promise<void> {
  await run('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=30:duration=6,noise=alls=12:allf=t',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', '-pix_fmt', 'yuv420p', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
    '-movflags', '+faststart', path,
  ]);
}
