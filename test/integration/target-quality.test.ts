/**
 * Target mode through the whole local stack (real MinIO, real ffmpeg, the synthesized state
 * machine with its probe Map): the same sources processed with the fixed ladder and with
 * `--quality-target ssim:0.98` (the splitter's QUALITY_TARGET). Fidelity is measured here,
 * independently: the delivered MP4 against the source scaled to the rung's size (Lanczos, as the
 * encoder scales), every frame, with ffmpeg's ssim filter.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, VideoRendition } from '../../shared/contracts/manifest.ts';
import { processFile, readRendition, startTestStack } from '../support/pipeline-harness.ts';

const run = promisify(execFile);
const TARGET = 0.98;
// 2 s chunks: three per source, so the smoothing has neighbours.
const CHUNKING = { CHUNK_SECONDS: '2', SEGMENT_SECONDS: '2', GOP_SECONDS: '1' };
const SOURCES = {
  // Slides: a new still every 2 s, held.
  slides: 'testsrc2=size=640x360:rate=0.5:duration=6,fps=25',
  // High motion with heavy grain: the 360p rung's VBV cap binds.
  noisy: 'testsrc2=size=640x360:rate=25:duration=6,noise=alls=40:allf=t+u',
} as const;
type Source = keyof typeof SOURCES;

let workDir: string;
const sourcePaths = {} as Record<Source, string>;
const manifests = { fixed: {}, target: {} } as Record<'fixed' | 'target', Record<Source, Manifest>>;
const fidelity = { fixed: {}, target: {} } as Record<'fixed' | 'target', Record<Source, Record<string, number>>>;

/** SSIM (All, mean over every frame) of a delivered MP4 against its source at the rung's size. */
async function ssimOf(mp4Path: string, sourcePath: string, width: number, height: number): Promise<number> {
  const graph = `[1:v]scale=w=${width}:h=${height}:flags=lanczos,setsar=1,format=yuv420p[ref];[0:v]setsar=1,format=yuv420p[enc];[enc][ref]ssim`;
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', mp4Path, '-i', sourcePath, '-filter_complex', graph, '-f', 'null', '-']);
  return Number(/SSIM .* All:([0-9.]+)/.exec(stderr)![1]);
}

const videos = (manifest: Manifest) => manifest.renditions.filter((rendition): rendition is VideoRendition => rendition.kind === 'video');
const videoBytes = (manifest: Manifest) => videos(manifest).reduce((sum, rendition) => sum + rendition.bytes, 0);

async function processAll(mode: 'fixed' | 'target'): Promise<void> {
  const harness = await startTestStack({ storage: 'minio', functionEnvironment: { splitter: { ...CHUNKING, ...(mode === 'target' ? { QUALITY_TARGET: `ssim:${TARGET}` } : {}) } } });
  try {
    for (const source of Object.keys(SOURCES) as Source[]) {
      const manifest = await processFile(harness.stack, sourcePaths[source], `${mode}-${source}.mp4`);
      expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
      manifests[mode][source] = manifest;
      fidelity[mode][source] = {};
      for (const rendition of videos(manifest)) {
        const path = join(workDir, `${mode}-${source}-${rendition.rung}.mp4`);
        await writeFile(path, await readRendition(harness.stack, rendition.key));
        fidelity[mode][source][rendition.rung] = await ssimOf(path, sourcePaths[source], rendition.width, rendition.height);
      }
    }
  } finally {
    await harness.stop();
  }
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-target-quality-'));
  for (const [source, graph] of Object.entries(SOURCES) as [Source, string][]) {
    sourcePaths[source] = join(workDir, `${source}.mp4`);
    await run('ffmpeg', ['-nostdin', '-y', '-v', 'error', '-f', 'lavfi', '-i', graph, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '8', '-pix_fmt', 'yuv420p', '-g', '25', sourcePaths[source]]);
  }
  await processAll('fixed');
  await processAll('target');
}, 600_000);
afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('target mode (QUALITY_TARGET=ssim:0.98)', () => {
  it('spends fewer bytes than the fixed ladder on slides, every rung at or above the target', () => {
    expect(videos(manifests.target.slides).length).toBeGreaterThan(0);
    expect(videoBytes(manifests.target.slides)).toBeLessThan(videoBytes(manifests.fixed.slides));
    for (const [rung, ssim] of Object.entries(fidelity.target.slides)) expect(ssim, rung).toBeGreaterThanOrEqual(TARGET);
  });

  it('leaves no rung of a noisy source below both the target and the fixed ladder', () => {
    for (const [rung, ssim] of Object.entries(fidelity.target.noisy)) {
      expect(ssim >= TARGET || ssim >= fidelity.fixed.noisy[rung]! - 0.0005, `${rung}: ${ssim} (fixed ${fidelity.fixed.noisy[rung]})`).toBe(true);
    }
  });

  it('reports the target ladder in the manifest; the fixed ladder has none from this code', () => {
    // Pruning needs each rung's measured quality (measure-quality.ts): without it the ladder stays whole.
    for (const source of Object.keys(SOURCES) as Source[]) {
      const ladder = manifests.target[source].ladder;
      if (ladder) expect(ladder).toMatchObject({ mode: 'target', target: { metric: 'ssim', value: TARGET } });
      expect(manifests.fixed[source].ladder?.mode ?? 'fixed').toBe('fixed');
    }
  });
});
