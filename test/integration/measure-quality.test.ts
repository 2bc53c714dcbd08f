/**
 * measureQuality on real encodes: its fidelity figure agrees with ffmpeg's own ssim of the same
 * frames, and how far a subsample moves the mean (the figures measure-quality.ts documents).
 * The as-viewed figure is checked end to end, against the delivered MP4s, in quality-pipeline.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateRungQuality } from '../../functions/assembler/aggregate-rung-quality.ts';
import type { ChunkReport } from '../../shared/contracts/quality.ts';
import { CHUNK_CONTAINER, encodeChunk, type ChunkRung } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';
import { measureQuality, type QualityReference } from '../../shared/media/ffmpeg/measure-quality.ts';
import { ffmpegSsim, ffmpegSsimFrames, writeGrainySource } from '../support/quality-checks.ts';
import { encodeChunked, type ChunkedEncode } from './ffmpeg-support.ts';

const RUNGS: ChunkRung[] = [
  { name: '480p', width: 854, height: 480, crf: 24, maxrateKbps: 1200, bufsizeKbps: 2400 },
  { name: '360p', width: 640, height: 360, crf: 25, maxrateKbps: 700, bufsizeKbps: 1400 },
];
const VIEWED: QualityReference = { kind: 'viewed', width: 854, height: 480 };

let workDir: string;
let sourcePath: string;
let encode: ChunkedEncode;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-measure-'));
  sourcePath = join(workDir, 'grainy.mp4');
  await writeGrainySource(sourcePath);
  encode = await encodeChunked({ sourcePath, format: 'mp4', rungs: RUNGS, chunkSeconds: 2, gopSeconds: 1, preset: 'ultrafast', audio: false, workDir });
}, 120_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Every chunk measured, as the encoder would, then aggregated as the assembler does. */
async function measureFile(reference: QualityReference, sampleEvery: number): Promise<Record<string, number>> {
  const reports: ChunkReport[] = [];
  for (const [index, chunk] of encode.chunks.entries()) {
    const { scores } = await measureQuality({
      segmentPath: join(workDir, `segment-${index}.${INTERMEDIATE_FORMAT.extension}`),
      startSeconds: chunk.startSeconds,
      endSeconds: chunk.endSeconds,
      rotation: 0,
      rungs: RUNGS.map((rung) => ({ ...rung, path: join(workDir, `chunk-${rung.name}-${index}.${CHUNK_CONTAINER.extension}`) })),
      metric: 'ssim',
      reference,
      sampleEvery,
      expectedFrames: chunk.frames,
      workDir,
    });
    reports.push({ index, metric: 'ssim', rungs: RUNGS.map((rung) => ({ rung: rung.name, crf: rung.crf, bytes: 1, frames: chunk.frames, viewed: scores[rung.name]! })), measureCpuMs: 0, encodeCpuMs: 0 });
  }
  const measurement = { metric: 'ssim' as const, sampleEvery, referenceWidth: 854, referenceHeight: 480 };
  return Object.fromEntries(RUNGS.map((rung) => [rung.name, aggregateRungQuality({ rung: rung.name, reports, measurement }).quality.mean]));
}

describe('measureQuality', () => {
  it('cuts the source into several chunks', () => {
    expect(encode.chunks.length).toBe(3);
  });

  it('measures fidelity (the source scaled down as the encoder scales) as ffmpeg\'s own ssim does, within 0.005', async () => {
    const measured = await measureFile({ kind: 'fidelity' }, 1);
    for (const rung of RUNGS) {
      const independent = await ffmpegSsim({ distortedPath: encode.outputs[rung.name]!.path, sourcePath, width: rung.width, height: rung.height, flags: 'lanczos', scaleDistorted: false });
      expect(Math.abs(measured[rung.name]! - independent), `${rung.name}: ${measured[rung.name]} vs ${independent}`).toBeLessThan(0.005);
    }
  });

  it('measures every n-th frame of each chunk on both sides: the same frames as a full measurement picks', async () => {
    // The yardstick: ffmpeg's per-frame SSIM of the joined rung against the whole source.
    const perFrame = await Promise.all(RUNGS.map((rung) => ffmpegSsimFrames({ distortedPath: encode.outputs[rung.name]!.path, sourcePath, width: 854, height: 480, statsPath: join(workDir, `yardstick-${rung.name}.log`) })));
    const firstFrames = encode.chunks.map((_, index) => encode.chunks.slice(0, index).reduce((sum, chunk) => sum + chunk.frames, 0));
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const moved: string[] = [];
    for (const sampleEvery of [1, 2, 3, 4]) {
      const measured = await measureFile(VIEWED, sampleEvery);
      for (const [rungIndex, rung] of RUNGS.entries()) {
        // Each chunk's frames 0, n, 2n, … (the subsample restarts in every chunk, as each encoder measures its own).
        const picked = encode.chunks.flatMap((chunk, index) => perFrame[rungIndex]!.slice(firstFrames[index]!, firstFrames[index]! + chunk.frames).filter((_, frame) => frame % sampleEvery === 0));
        expect(Math.abs(measured[rung.name]! - mean(picked)), `n=${sampleEvery} ${rung.name}`).toBeLessThan(2e-4);
        moved.push(`n=${sampleEvery} ${rung.name} ${(measured[rung.name]! - mean(perFrame[rungIndex]!)).toFixed(5)}`);
      }
    }
    // The figures measure-quality.ts documents: how far a subsample moves the mean on this source.
    console.log(`as-viewed SSIM mean, subsampled minus every frame: ${moved.join(', ')}`);
  });

  it('reports the CPU encoding and measuring took, as ffmpeg counted it', async () => {
    const chunk = encode.chunks[0]!;
    const segmentPath = join(workDir, `segment-0.${INTERMEDIATE_FORMAT.extension}`);
    const path = join(workDir, 'cpu-360p.mp4');
    const encoded = await encodeChunk({ segmentPath, startSeconds: chunk.startSeconds, endSeconds: chunk.endSeconds, rotation: 0, rungs: [RUNGS[1]!], gopSeconds: 1, preset: 'ultrafast', outputs: { '360p': path } });
    const measured = await measureQuality({ segmentPath, startSeconds: chunk.startSeconds, endSeconds: chunk.endSeconds, rotation: 0, rungs: [{ ...RUNGS[1]!, path }], metric: 'ssim', reference: VIEWED, workDir });
    expect(encoded.cpuMs).toBeGreaterThan(0);
    expect(measured.cpuMs).toBeGreaterThan(0);
  });

  it('refuses a measurement over fewer frames than the chunk has', async () => {
    const chunk = encode.chunks[0]!;
    await expect(measureQuality({
      segmentPath: join(workDir, `segment-0.${INTERMEDIATE_FORMAT.extension}`),
      startSeconds: chunk.startSeconds,
      endSeconds: chunk.endSeconds,
      rotation: 0,
      rungs: [{ ...RUNGS[1]!, path: join(workDir, `chunk-360p-0.${CHUNK_CONTAINER.extension}`) }],
      metric: 'ssim',
      reference: VIEWED,
      expectedFrames: chunk.frames + 1,
      workDir,
    })).rejects.toThrow(/measured over 60 frames, 61 expected/);
  });
});
