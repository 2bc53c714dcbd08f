/**
 * The benchmark's source: 1080p30 H.264 with AAC audio, generated from lavfi sources the way
 * fixtures/videos.ts makes its fixtures (nothing is downloaded), cached in fixtures/generated/
 * under a name that holds every parameter. Bench data generation builds its own ffmpeg
 * arguments; pipeline code never does.
 *
 * "Natural-looking": scenes of different texture (test pattern, a Mandelbrot zoom, cellular
 * life, drifting gradients) cut every 3 s (so cuts fall inside chunks as well as on their
 * edges), a box gliding across every scene, and temporal grain over everything, as a camera
 * gives: an encoder cannot coast on static flat areas. The source itself is high quality
 * (CRF 20) with a keyframe every 2 s, as a camera or an editor exports.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ensureGeneratedFixture } from '../fixtures/generated-fixture.ts';

const execFileAsync = promisify(execFile);

export interface BenchSource {
  width: number;
  height: number;
  fps: number;
  seconds: number;
}

export const DEFAULT_BENCH_SOURCE: Omit<BenchSource, 'seconds'> = { width: 1920, height: 1080, fps: 30 };
const SCENE_SECONDS = 3;
const GENERATION = 'v1';

export function benchSourceName({ width, height, fps, seconds }: BenchSource): string {
  return `bench-${width}x${height}p${fps}-${seconds}s-${GENERATION}.mp4`;
}

/** Absolute path of the source, generated on first use (a 60 s one takes a few minutes on 2 cores). */
export function benchSource(source: BenchSource): Promise<string> {
  return ensureGeneratedFixture(benchSourceName(source), (path) => writeBenchSource(path, source));
}

function sceneGraph(scene: number, { width, height, fps }: BenchSource, frames: number): string {
  const size = `s=${width}x${height}:r=${fps}`;
  const cut = `trim=end_frame=${frames},setsar=1,format=yuv420p`;
  switch (scene % 4) {
    case 0:
      return `testsrc2=${size},${cut}`;
    case 1:
      return `mandelbrot=${size}:maxiter=64:end_scale=0.05,${cut}`;
    case 2:
      return `life=s=${Math.floor(width / 8)}x${Math.floor(height / 8)}:r=${fps}:mold=10:ratio=0.2:seed=${scene}:death_color=#203050:life_color=#ffcc40,scale=${width}:${height}:flags=bicubic,${cut}`;
    default:
      return `gradients=${size}:speed=0.03:seed=${scene},${cut}`;
  }
}

async function writeBenchSource(path: string, source: BenchSource): Promise<void> {
  const { width, height, fps, seconds } = source;
  const frames = Math.round(seconds * fps);
  const sceneFrames = SCENE_SECONDS * fps;
  const count = Math.ceil(frames / sceneFrames);
  const parts: string[] = [];
  for (let index = 0; index < count; index++) parts.push(`${sceneGraph(index, source, Math.min(sceneFrames, frames - index * sceneFrames))}[s${index}]`);
  const box = Math.round(height / 7.5);
  parts.push(`${parts.map((_, index) => `[s${index}]`).join('')}concat=n=${count}:v=1:a=0[base]`);
  parts.push(`color=c=white:s=${box}x${box}:r=${fps}[box]`);
  parts.push(`[base][box]overlay=x='mod(t*W/2.5\\,W-w)':y='(H-h)/2+(H-h)/3*sin(t*3)':shortest=1,noise=alls=2:allf=t[v]`);
  const click = `0.6*lt(mod(t\\,0.5)\\,0.004)*sin(2*PI*2000*t)`;
  parts.push(`aevalsrc=exprs='0.05*sin(2*PI*220*t)+${click}|0.05*sin(2*PI*330*t)+${click}':s=48000:d=${seconds}[a]`);
  const gop = String(2 * fps);
  await execFileAsync(
    'ffmpeg',
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      '-filter_complex', parts.join(';'),
      '-map', '[v]', '-map', '[a]', '-frames:v', String(frames),
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
      '-c:a', 'aac', '-b:a', '160k', '-movflags', '+faststart',
      path,
    ],
    { maxBuffer: 1024 * 1024 },
  );
}
