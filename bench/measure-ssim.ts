/**
 * The bench's own SSIM of a rendition, independent of what the pipeline reports about itself,
 * measured the same way for the fixed ladder and the target mode, in one ffmpeg pass per rung:
 *   - fidelity: the rung against the source scaled down to the rung's size (Lanczos, as the
 *     encoder scales): the quantity a quality target is for;
 *   - as viewed: the rung scaled up (bicubic) to the source's size capped at 1920×1080, against
 *     the source at that size: what the manifest's `quality` reports.
 * ffmpeg's ssim filter writes each frame's `All` (luma and chroma, plane-weighted); frames are
 * grouped into fixed windows (the chunk length) and the worst window's mean is the "worst chunk".
 */
import { readFile, rm } from 'node:fs/promises';
import { checkedPath, integer, outputPath } from '../shared/media/ffmpeg/ffmpeg-args.ts';
import { runFfmpeg } from '../shared/media/ffmpeg/run-ffmpeg.ts';

export interface SsimScore {
  mean: number;
  /** The worst window's mean. */
  worstWindow: number;
  frames: number;
}

export interface RungSsim {
  fidelity: SsimScore;
  viewed: SsimScore;
}

const MOV = ['-f', 'mov', '-format_whitelist', 'mov'];

/** The viewed reference size: the source's, capped at 1920×1080 keeping its shape, even. */
export function viewedSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, 1920 / Math.max(width, height), 1080 / Math.min(width, height));
  const even = (value: number) => Math.max(2, 2 * Math.round((value * scale) / 2));
  return { width: even(width), height: even(height) };
}

export async function measureRungSsim(options: { sourcePath: string; source: { width: number; height: number }; rung: { path: string; width: number; height: number }; windowFrames: number; workDir: string }): Promise<RungSsim> {
  const { sourcePath, rung, windowFrames, workDir } = options;
  const viewed = viewedSize(options.source.width, options.source.height);
  const stats = ['fidelity', 'viewed'].map((name) => outputPath(`${checkedPath(workDir)}/ssim-${name}.log`));
  // The stats path sits inside a filter argument: allow only characters that need no escaping there.
  for (const path of stats) if (!/^[A-Za-z0-9/._-]+$/.test(path)) throw new TypeError(`stats path needs escaping: ${path}`);
  const size = (width: number, height: number) => `w=${integer(width, 2, 8192)}:h=${integer(height, 2, 8192)}`;
  const graph = [
    '[0:v:0]split=2[src0][src1]',
    '[1:v:0]setsar=1,format=yuv420p,split=2[enc0][enc1]',
    `[src0]scale=${size(rung.width, rung.height)}:flags=lanczos,setsar=1,format=yuv420p[ref0]`,
    `[enc0][ref0]ssim=stats_file=${stats[0]}[out0]`,
    `[src1]scale=${size(viewed.width, viewed.height)}:flags=bicubic,setsar=1,format=yuv420p[ref1]`,
    `[enc1]scale=${size(viewed.width, viewed.height)}:flags=bicubic,setsar=1,format=yuv420p[up1]`,
    `[up1][ref1]ssim=stats_file=${stats[1]}[out1]`,
  ].join(';');
  try {
    await runFfmpeg({
      task: 'measure SSIM',
      inputs: [{ path: sourcePath, options: MOV }, { path: rung.path, options: MOV }],
      filterGraph: graph,
      outputs: stats.map((path, index) => ({ path: `${path}.null`, options: ['-map', `[out${index}]`, '-f', 'null'] })),
    });
    const [fidelity, asViewed] = await Promise.all(stats.map(async (path) => windowedSsim(await readFile(path, 'utf8'), windowFrames)));
    return { fidelity: fidelity!, viewed: asViewed! };
  } finally {
    await Promise.all(stats.map((path) => rm(path, { force: true })));
  }
}

/** Mean of every frame's `All`, and the worst mean over windows of `windowFrames` frames (a last, shorter window counts). */
export function windowedSsim(statsFile: string, windowFrames: number): SsimScore {
  const values = [...statsFile.matchAll(/All:([0-9.]+)/g)].map((match) => Number(match[1]));
  if (values.length === 0) throw new Error('the SSIM stats file holds no frame');
  if (!(windowFrames >= 1)) throw new RangeError(`a window of ${windowFrames} frames`);
  const mean = (list: readonly number[]) => list.reduce((sum, value) => sum + value, 0) / list.length;
  let worstWindow = Number.POSITIVE_INFINITY;
  for (let start = 0; start < values.length; start += windowFrames) worstWindow = Math.min(worstWindow, mean(values.slice(start, start + windowFrames)));
  return { mean: mean(values), worstWindow, frames: values.length };
}
