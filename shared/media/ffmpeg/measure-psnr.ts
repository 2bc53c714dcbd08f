/**
 * PSNR of encoded renditions against their source, each reference scaled to the rendition's
 * size the way encodeChunk scales (Lanczos, square pixels, 4:2:0). One ffmpeg process decodes
 * the source once and compares every rendition; ffmpeg's psnr filter writes per-frame MSE to a
 * stats file, and the average is ffmpeg's own: 10·log10(255² / mean of the per-frame plane-weighted
 * MSE), which is what its summary line prints.
 */
import { readFile, rm } from 'node:fs/promises';
import { checkedPath, integer, outputPath } from './ffmpeg-args.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface PsnrCandidate {
  /** An MP4 rendition. */
  path: string;
  width: number;
  height: number;
}

export interface MeasurePsnrOptions {
  /** The source (MP4/MOV), upright with square pixels. */
  referencePath: string;
  candidates: readonly PsnrCandidate[];
  /** Where the stats files go (inside the work directory). */
  workDir: string;
  timeoutMs?: number;
}

const MAX_DIMENSION = 8192;
const MOV = ['-f', 'mov', '-format_whitelist', 'mov'];

/** Average PSNR (dB, all planes) per candidate, in order. */
export async function measurePsnr(options: MeasurePsnrOptions): Promise<number[]> {
  const { referencePath, candidates, workDir, timeoutMs } = options;
  if (candidates.length === 0) return [];
  const statsPaths = candidates.map((_, index) => outputPath(`${checkedPath(workDir)}/psnr-${index}.log`));
  // The stats path sits inside a filter argument: allow only characters that need no escaping there.
  for (const path of statsPaths) if (!/^[A-Za-z0-9/._-]+$/.test(path)) throw new TypeError(`stats path needs escaping: ${path}`);
  const references = candidates.map((_, index) => `[r${index}]`).join('');
  const graph = [
    `[0:v:0]split=${candidates.length}${references}`,
    ...candidates.map((candidate, index) => {
      const width = integer(candidate.width, 2, MAX_DIMENSION);
      const height = integer(candidate.height, 2, MAX_DIMENSION);
      return (
        `[r${index}]scale=w=${width}:h=${height}:flags=lanczos,setsar=1,format=yuv420p[ref${index}];` +
        `[${index + 1}:v:0]setsar=1,format=yuv420p[enc${index}];[enc${index}][ref${index}]psnr=stats_file=${statsPaths[index]}[p${index}]`
      );
    }),
  ].join(';');
  try {
    await runFfmpeg({
      task: 'measure PSNR',
      inputs: [{ path: referencePath, options: MOV }, ...candidates.map((candidate) => ({ path: candidate.path, options: MOV }))],
      filterGraph: graph,
      outputs: candidates.map((_, index) => ({ path: `${statsPaths[index]}.null`, options: ['-map', `[p${index}]`, '-f', 'null'] })),
      timeoutMs,
    });
    return await Promise.all(statsPaths.map(async (path) => averagePsnr(await readFile(path, 'utf8'))));
  } finally {
    await Promise.all(statsPaths.map((path) => rm(path, { force: true })));
  }
}

/** ffmpeg's average PSNR from a psnr stats file (`n:1 mse_avg:12.3 …` per frame). */
export function averagePsnr(stats: string): number {
  const mses = [...stats.matchAll(/mse_avg:([0-9.]+)/g)].map((match) => Number(match[1]));
  if (mses.length === 0) throw new Error('the PSNR stats file holds no frame');
  const mean = mses.reduce((sum, mse) => sum + mse, 0) / mses.length;
  return mean === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mean);
}
