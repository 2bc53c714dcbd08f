/**
 * Chunking must cost (almost) nothing: the same rung encoded in chunks and joined, against the
 * whole file encoded in one pass with the same settings (one chunk: same cut, same encoder, same
 * GOP grid). Chunks are 2 s here, twice as many seams as the default 4 s, so the margin is
 * measured where it is tightest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoFixture } from '../../fixtures/videos.ts';
import type { ChunkRung } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { encodeChunked, psnrAgainstSource } from './ffmpeg-support.ts';

const RUNG: ChunkRung = { name: '360p', width: 640, height: 360, crf: 23, maxrateKbps: 1500, bufsizeKbps: 3000 };
const SETTINGS = { rungs: [RUNG], gopSeconds: 1, preset: 'veryfast', audio: false } as const;

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-ffmpeg-parity-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('chunked encode against a single pass', () => {
  it('is within 0.3 dB PSNR of it at no more than 5% more bytes', async () => {
    const source = await videoFixture('h264.mp4');
    const chunked = await encodeChunked({ sourcePath: source, format: 'mp4', chunkSeconds: 2, workDir: join(workDir, 'chunked'), ...SETTINGS });
    const single = await encodeChunked({ sourcePath: source, format: 'mp4', chunkSeconds: 3600, workDir: join(workDir, 'single'), ...SETTINGS });
    expect(chunked.chunks.length).toBe(3);
    expect(single.chunks.length).toBe(1);

    const chunkedOut = chunked.outputs[RUNG.name]!;
    const singleOut = single.outputs[RUNG.name]!;
    const [chunkedPsnr, singlePsnr] = await Promise.all([
      psnrAgainstSource(chunkedOut.path, source, RUNG.width, RUNG.height),
      psnrAgainstSource(singleOut.path, source, RUNG.width, RUNG.height),
    ]);
    console.info(
      `PSNR chunked ${chunkedPsnr.toFixed(3)} dB vs single ${singlePsnr.toFixed(3)} dB; ` +
        `bytes chunked ${chunkedOut.assembled.bytes} vs single ${singleOut.assembled.bytes}`,
    );
    expect(singlePsnr).toBeGreaterThan(30);
    expect(chunkedPsnr).toBeGreaterThanOrEqual(singlePsnr - 0.3);
    expect(chunkedOut.assembled.bytes).toBeLessThanOrEqual(singleOut.assembled.bytes * 1.05);
    expect(chunkedOut.assembled.frames).toBe(singleOut.assembled.frames);
  }, 90_000);
});
