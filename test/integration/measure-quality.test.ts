/**
 * measureQuality on real encodes: its fidelity figure agrees with ffmpeg's own ssim of the same
 * frames, and how far a subsample moves the mean (the figures measure-quality.ts documents).
 * The references it reads are written by encodeChunk from its own decode; nothing reads the
 * segment after the encode (each test here deletes its copy first). The as-viewed figure is
 * checked end to end, against the delivered MP4s, in quality-pipeline.test.ts.
 */
import { access, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { aggregateRungQuality } from '../../functions/assembler/aggregate-rung-quality.ts';
import { planReferenceSampling, referenceFrameBytes } from '../../functions/encoder/plan-reference-sampling.ts';
import type { ChunkReport, ChunkScore } from '../../shared/contracts/quality.ts';
import { CHUNK_CONTAINER, encodeChunk, type ChunkRung } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';
import { measureQuality } from '../../shared/media/ffmpeg/measure-quality.ts';
import type { QualityReferences } from '../../shared/media/ffmpeg/quality-references.ts';
import { runFfmpeg } from '../../shared/media/ffmpeg/run-ffmpeg.ts';
import { ffmpegSsim, ffmpegSsimFrames, writeGrainySource } from '../support/quality-checks.ts';
import { encodeChunked, type ChunkedEncode } from './ffmpeg-support.ts';

// Every ffmpeg still runs; the spy only counts them.
vi.mock('../../shared/media/ffmpeg/run-ffmpeg.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../shared/media/ffmpeg/run-ffmpeg.ts')>();
  return { ...actual, runFfmpeg: vi.fn(actual.runFfmpeg) };
});

const RUNGS: ChunkRung[] = [
  { name: '480p', width: 854, height: 480, crf: 24, maxrateKbps: 1200, bufsizeKbps: 2400 },
  { name: '360p', width: 640, height: 360, crf: 25, maxrateKbps: 700, bufsizeKbps: 1400 },
];

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

const rungPath = (name: string, index: number) => join(workDir, `chunk-${name}-${index}.${CHUNK_CONTAINER.extension}`);
const referencesDir = () => mkdtemp(join(workDir, 'references-'));

/**
 * Chunk `index` encoded again (the same settings, so the same frames), as the encoder does, with
 * its references, from a copy of its segment that is deleted once encoded: what it returns is
 * all a measurement has.
 */
async function encodeWithReferences(index: number, references: QualityReferences, dir: string, rungs: readonly ChunkRung[] = RUNGS) {
  const chunk = encode.chunks[index]!;
  const segmentPath = join(dir, `segment.${INTERMEDIATE_FORMAT.extension}`);
  await copyFile(join(workDir, `segment-${index}.${INTERMEDIATE_FORMAT.extension}`), segmentPath);
  const outputs = Object.fromEntries(rungs.map((rung) => [rung.name, join(dir, `${rung.name}.${CHUNK_CONTAINER.extension}`)]));
  const encoded = await encodeChunk({ segmentPath, startSeconds: chunk.startSeconds, endSeconds: chunk.endSeconds, rotation: 0, rungs, gopSeconds: 1, preset: 'ultrafast', outputs, references });
  await rm(segmentPath);
  return { encoded, outputs };
}

function viewedReference(dir: string, sampleEvery: number) {
  return { path: join(dir, 'viewed.y4m'), width: 854, height: 480, sampleEvery };
}

function fidelityReferences(dir: string, sampleEvery: number) {
  return { paths: Object.fromEntries(RUNGS.map((rung) => [rung.name, join(dir, `fidelity-${rung.name}.y4m`)])), sampleEvery };
}

/** Every chunk measured, as the encoder would, then aggregated as the assembler does. */
async function measureFile(kind: 'viewed' | 'fidelity', sampleEvery: number): Promise<Record<string, number>> {
  const reports: ChunkReport[] = [];
  for (const [index, chunk] of encode.chunks.entries()) {
    const dir = await referencesDir();
    const references = kind === 'viewed' ? { viewed: viewedReference(dir, sampleEvery) } : { fidelity: fidelityReferences(dir, sampleEvery) };
    await encodeWithReferences(index, references, dir);
    const measured = await measureQuality({
      rungs: RUNGS.map((rung) => ({ name: rung.name, path: rungPath(rung.name, index) })),
      ...(references.viewed ? { viewed: { reference: references.viewed, metric: 'ssim' as const } } : {}),
      ...(references.fidelity ? { fidelity: { references: references.fidelity, metric: 'ssim' as const } } : {}),
      expectedFrames: chunk.frames,
      workDir,
    });
    const scores = measured[kind]!;
    reports.push({ index, metric: 'ssim', rungs: RUNGS.map((rung) => ({ rung: rung.name, crf: rung.crf, bytes: 1, frames: chunk.frames, viewed: scores[rung.name]! })), measureCpuMs: 0, encodeCpuMs: 0 });
  }
  const measurement = { metric: 'ssim' as const, sampleEvery, referenceWidth: 854, referenceHeight: 480 };
  return Object.fromEntries(RUNGS.map((rung) => [rung.name, aggregateRungQuality({ rung: rung.name, reports, measurement }).quality.mean]));
}

/** Chunk `index` encoded with both references (every n-th frame), then measured both ways. */
async function measureBoth(index: number, sampleEvery: number, fidelitySampleEvery = sampleEvery) {
  const dir = await referencesDir();
  const references = { viewed: viewedReference(dir, sampleEvery), fidelity: fidelityReferences(dir, fidelitySampleEvery) };
  const { encoded, outputs } = await encodeWithReferences(index, references, dir);
  const measured = await measureQuality({
    rungs: RUNGS.map((rung) => ({ name: rung.name, path: outputs[rung.name]! })),
    viewed: { reference: references.viewed, metric: 'ssim' },
    fidelity: { references: references.fidelity, metric: 'ssim' },
    expectedFrames: encode.chunks[index]!.frames,
    workDir,
  });
  return { encoded, measured, references };
}

const measuringRuns = () => vi.mocked(runFfmpeg).mock.calls.filter(([options]) => options.task.startsWith('measure')).length;
const exists = (path: string) => access(path).then(() => true, () => false);

describe('measureQuality', () => {
  it('cuts the source into several chunks', () => {
    expect(encode.chunks.length).toBe(3);
  });

  it('measures fidelity (the source scaled down as the encoder scales) as ffmpeg\'s own ssim does, within 0.005', async () => {
    const measured = await measureFile('fidelity', 1);
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
      const measured = await measureFile('viewed', sampleEvery);
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

  it('measures viewed and fidelity in one process, from the references alone, and removes them after', async () => {
    const before = measuringRuns();
    const { encoded, measured, references } = await measureBoth(0, 1);
    expect(measuringRuns() - before).toBe(1);
    expect(encoded.cpuMs).toBeGreaterThan(0);
    expect(measured.cpuMs).toBeGreaterThan(0);
    for (const rung of RUNGS) {
      expect(measured.viewed![rung.name]).toMatchObject({ frames: 60 });
      expect(measured.fidelity![rung.name]).toMatchObject({ frames: 60 });
      expect(measured.viewed![rung.name]!.sampleEvery).toBeUndefined();
    }
    // At the reference's own size, as viewed is fidelity; below it, the upscale costs.
    expect(measured.viewed!['480p']!.mean).toBeCloseTo(measured.fidelity!['480p']!.mean, 6);
    expect(measured.viewed!['360p']!.mean).toBeLessThan(measured.fidelity!['360p']!.mean);
    for (const path of [references.viewed.path, ...Object.values(references.fidelity.paths)]) expect(await exists(path), path).toBe(false);
  });

  it('measures a chunk whose references would pass the disk budget on every n-th frame, and the scores say so', async () => {
    // Room for 25 frames of the three references: as viewed every 2nd frame (30), the rungs' inputs every 3rd (20).
    const frameBytes = referenceFrameBytes(854, 480) + RUNGS.reduce((sum, rung) => sum + referenceFrameBytes(rung.width, rung.height), 0);
    const sampling = planReferenceSampling({ frames: encode.chunks[1]!.frames, viewed: { width: 854, height: 480, sampleEvery: 1 }, fidelity: RUNGS, budgetBytes: 25 * frameBytes });
    expect(sampling).toEqual({ viewedSampleEvery: 2, fidelitySampleEvery: 3 });
    const { measured } = await measureBoth(1, sampling.viewedSampleEvery, sampling.fidelitySampleEvery);
    for (const rung of RUNGS) {
      expect(measured.viewed![rung.name]).toMatchObject({ frames: 30, sampleEvery: 2 });
      expect(measured.fidelity![rung.name]).toMatchObject({ frames: 20, sampleEvery: 3 });
    }
  });

  it('pairs the same frames on both sides when fidelity is subsampled: at the reference\'s own size, fidelity is as viewed', async () => {
    const { measured } = await measureBoth(1, 3);
    for (const rung of RUNGS) expect(measured.fidelity![rung.name]).toMatchObject({ frames: 20, sampleEvery: 3 });
    expect(measured.fidelity!['480p']!.mean).toBeCloseTo(measured.viewed!['480p']!.mean, 6);
  });

  it('refuses a reference with more frames than the rung it is paired with (written at another subsample): the count sees the longer side', async () => {
    const dir = await referencesDir();
    const written = viewedReference(dir, 1);
    await encodeWithReferences(0, { viewed: written }, dir, [RUNGS[1]!]);
    // Said to hold every 2nd frame; it holds every frame. Paired to the shorter side, frame 2k of the rung would meet frame k of the source.
    await expect(measureQuality({
      rungs: [{ name: RUNGS[1]!.name, path: rungPath(RUNGS[1]!.name, 0) }],
      viewed: { reference: { ...written, sampleEvery: 2 }, metric: 'ssim' },
      expectedFrames: encode.chunks[0]!.frames,
      workDir,
    })).rejects.toThrow(/measured over 60 frames, 30 expected/);
  });

  it('refuses a measurement over fewer frames than the chunk has, and still removes the references', async () => {
    const dir = await referencesDir();
    const references = { viewed: viewedReference(dir, 1) };
    await encodeWithReferences(0, references, dir, [RUNGS[1]!]);
    await expect(measureQuality({
      rungs: [{ name: RUNGS[1]!.name, path: rungPath(RUNGS[1]!.name, 0) }],
      viewed: { reference: references.viewed, metric: 'ssim' },
      expectedFrames: encode.chunks[0]!.frames + 1,
      workDir,
    })).rejects.toThrow(/measured over 60 frames, 61 expected/);
    expect(await exists(references.viewed.path)).toBe(false);
  });
});
