/**
 * Target mode's probes on real ffmpeg: the sample of a chunk's frames, a probe encode at a CRF,
 * its fidelity; and the search's CRF, used by the real chunk encode, meets the target on the
 * whole chunk (measured independently, with ffmpeg's ssim filter on every frame).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutSegment } from '../../shared/media/ffmpeg/cut-segment.ts';
import { encodeChunk, type ChunkRung } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { extractProbeSample, probeEncode, sampleFrames } from '../../shared/media/ffmpeg/probe-encode.ts';
import { runCrfSearch } from '../../shared/quality/crf-search.ts';

const run = promisify(execFile);
const RUNG: ChunkRung = { name: '360p', width: 640, height: 360, crf: 23, maxrateKbps: 700, bufsizeKbps: 1400 };
const SMALL: ChunkRung = { name: '180p', width: 320, height: 180, crf: 25, maxrateKbps: 300, bufsizeKbps: 600 };

let workDir: string;
let sourcePath: string;
let segmentPath: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-probe-encode-'));
  sourcePath = join(workDir, 'source.mp4');
  // 4 s of moving detail at 640×360, 25 fps, one keyframe a second.
  await run('ffmpeg', ['-nostdin', '-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', '-g', '25', sourcePath]);
  segmentPath = join(workDir, 'segment.nut');
  await cutSegment({ sourcePath, format: 'mp4', fromSeconds: 0, outputPath: segmentPath });
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** SSIM (All, mean of every frame) of an encode against the source scaled to its size: the yardstick, not the pipeline. */
async function ssimOf(encodedPath: string, width: number, height: number): Promise<number> {
  const graph = `[1:v]scale=w=${width}:h=${height}:flags=lanczos,setsar=1,format=yuv420p[ref];[0:v]setsar=1,format=yuv420p[enc];[enc][ref]ssim`;
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', encodedPath, '-i', sourcePath, '-filter_complex', graph, '-f', 'null', '-']);
  return Number(/SSIM .* All:([0-9.]+)/.exec(stderr)![1]);
}

describe('sampleFrames', () => {
  it.each([
    [100, [...[13, 14, 15, 16, 17, 18, 19, 20], ...[46, 47, 48, 49, 50, 51, 52, 53], ...[79, 80, 81, 82, 83, 84, 85, 86]]],
    [20, Array.from({ length: 20 }, (_, index) => index)],
    [25, [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]],
  ])('%i frames', (frames, expected) => {
    expect(sampleFrames(frames)).toEqual(expected);
  });
});

describe('probeEncode', () => {
  it('scores a lower CRF higher, on a sample of the chunk at each rung’s size', async () => {
    const sample = await extractProbeSample({ segmentPath, startSeconds: 0, chunkFrames: 100, durationSeconds: 4, rotation: 0, rungs: [RUNG, SMALL], workDir });
    expect(sample.frames).toBe(24);
    const [fine, coarse, small] = await Promise.all([
      probeEncode({ sample, rung: RUNG, crf: 18, preset: 'veryfast', metric: 'ssim', workDir }),
      probeEncode({ sample, rung: RUNG, crf: 38, preset: 'veryfast', metric: 'ssim', workDir }),
      probeEncode({ sample, rung: SMALL, crf: 38, preset: 'medium', metric: 'ssim', workDir }),
    ]);
    expect(fine.frames).toBe(24);
    expect(fine.mean).toBeGreaterThan(coarse.mean);
    expect(fine.mean).toBeLessThanOrEqual(1);
    expect(coarse.minFrame).toBeLessThanOrEqual(coarse.mean);
    expect(small.frames).toBe(24);
  });

  it('encodes under the rung’s VBV cap, as the chunk encode does: a tight cap scores lower at the same CRF', async () => {
    const tight: ChunkRung = { ...RUNG, name: 'tight', maxrateKbps: 60, bufsizeKbps: 120 };
    const sample = await extractProbeSample({ segmentPath, startSeconds: 0, chunkFrames: 100, durationSeconds: 4, rotation: 0, rungs: [RUNG, tight], workDir });
    const [capped, roomy] = await Promise.all([
      probeEncode({ sample, rung: tight, crf: 16, preset: 'veryfast', metric: 'ssim', workDir }),
      probeEncode({ sample, rung: RUNG, crf: 16, preset: 'veryfast', metric: 'ssim', workDir }),
    ]);
    expect(capped.mean, `capped ${capped.mean}, at 700 kb/s ${roomy.mean}`).toBeLessThan(roomy.mean - 0.01);
  });

  it('finds a CRF whose real encode of the whole chunk meets the target', async () => {
    const target = 0.97;
    const sample = await extractProbeSample({ segmentPath, startSeconds: 0, chunkFrames: 100, durationSeconds: 4, rotation: 0, rungs: [RUNG], workDir });
    const search = await runCrfSearch({ target, startCrf: RUNG.crf }, async (crf) => (await probeEncode({ sample, rung: RUNG, crf, preset: 'veryfast', metric: 'ssim', workDir })).mean);
    expect(search.reached).toBe(true);
    expect(search.probes.length).toBeLessThanOrEqual(4);

    const outputPath = join(workDir, 'chunk.mp4');
    await encodeChunk({ segmentPath, startSeconds: 0, rotation: 0, rungs: [{ ...RUNG, crf: search.crf }], gopSeconds: 2, preset: 'veryfast', outputs: { [RUNG.name]: outputPath } });
    expect(await ssimOf(outputPath, RUNG.width, RUNG.height)).toBeGreaterThanOrEqual(target);
  });
});
