/**
 * Target mode's probes on real ffmpeg: the sample of a chunk's frames, a probe encode at a CRF,
 * its fidelity; and the search's CRF, used by the real chunk encode, meets the target on the
 * whole chunk (measured independently, with ffmpeg's ssim filter on every frame).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childrenCpuMs } from '../../shared/media/ffmpeg/children-cpu.ts';
import { cutSegment } from '../../shared/media/ffmpeg/cut-segment.ts';
import { encodeChunk, type ChunkRung } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { extractProbeSample, probeEncode, probeRound, probeSearch } from '../../shared/media/ffmpeg/probe-encode.ts';
import { runCrfSearch, runCrfSearchRounds } from '../../shared/quality/crf-search.ts';

const run = promisify(execFile);
const RUNG: ChunkRung = { name: '360p', width: 640, height: 360, crf: 23, maxrateKbps: 700, bufsizeKbps: 1400 };
const SMALL: ChunkRung = { name: '180p', width: 320, height: 180, crf: 25, maxrateKbps: 300, bufsizeKbps: 600 };

let workDir: string;
let sourcePath: string;
let segmentPath: string;
let talkingHeadPath: string;
let talkingHeadSegment: string;
/** A low-motion talking-head-like shot (the bench corpus's, smaller): a soft backdrop, a swaying oval, light temporal noise; a CRF 14 master with 2 s GOPs. */
const TALKING_HEAD = "gradients=s=640x360:r=30:c0=0x304860:c1=0x708090:speed=0.002:seed=3,format=yuv420p[bg];" +
  "color=c=0xd0a080:s=160x208:r=30,format=yuva420p,geq=lum='p(X,Y)':cb='p(X,Y)':cr='p(X,Y)':a='255*lte(pow((X-W/2)/(W/2),2)+pow((Y-H/2)/(H/2),2),1)'[head];" +
  "[bg][head]overlay=x='240+6*sin(t*1.3)':y='108+3*sin(t*0.7)':shortest=1,noise=alls=3:allf=t[v]";
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-probe-encode-'));
  sourcePath = join(workDir, 'source.mp4');
  // 4 s of moving detail at 640×360, 25 fps, one keyframe a second.
  await run('ffmpeg', ['-nostdin', '-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', '-g', '25', sourcePath]);
  segmentPath = join(workDir, 'segment.nut');
  await cutSegment({ sourcePath, format: 'mp4', fromSeconds: 0, outputPath: segmentPath });
  talkingHeadPath = join(workDir, 'talking-head.mp4');
  await run('ffmpeg', ['-nostdin', '-y', '-v', 'error', '-filter_complex', TALKING_HEAD, '-map', '[v]', '-frames:v', '120', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '14', '-g', '60', '-pix_fmt', 'yuv420p', talkingHeadPath]);
  talkingHeadSegment = join(workDir, 'talking-head.nut');
  await cutSegment({ sourcePath: talkingHeadPath, format: 'mp4', fromSeconds: 0, outputPath: talkingHeadSegment });
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** SSIM (All, mean of every frame) of an encode against the source scaled to its size: the yardstick, not the pipeline. */
async function ssimOf(encodedPath: string, width: number, height: number, referencePath = sourcePath): Promise<number> {
  const graph = `[1:v]scale=w=${width}:h=${height}:flags=lanczos,setsar=1,format=yuv420p[ref];[0:v]setsar=1,format=yuv420p[enc];[enc][ref]ssim`;
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', encodedPath, '-i', referencePath, '-filter_complex', graph, '-f', 'null', '-']);
  return Number(/SSIM .* All:([0-9.]+)/.exec(stderr)![1]);
}

describe('probeEncode', () => {
  it('scores a lower CRF higher, on a sample of the chunk at each rung’s size', async () => {
    const sample = await extractProbeSample({ segmentPath, startSeconds: 0, chunkFrames: 100, durationSeconds: 4, gopSeconds: 2, rotation: 0, rungs: [RUNG, SMALL], workDir });
    expect(sample.frames).toBe(20);
    const [fine, coarse, small] = await Promise.all([
      probeEncode({ sample, rung: RUNG, crf: 18, preset: 'veryfast', metric: 'ssim', workDir }),
      probeEncode({ sample, rung: RUNG, crf: 38, preset: 'veryfast', metric: 'ssim', workDir }),
      probeEncode({ sample, rung: SMALL, crf: 38, preset: 'medium', metric: 'ssim', workDir }),
    ]);
    expect(fine.frames).toBe(20);
    expect(fine.mean).toBeGreaterThan(coarse.mean);
    expect(fine.mean).toBeLessThanOrEqual(1);
    expect(coarse.minFrame).toBeLessThanOrEqual(coarse.mean);
    expect(small.frames).toBe(20);
    // Its bitrate at the chunk's rate (20 frames at 25 fps: 0.8 s), what the search weighs against the VBV cap.
    expect(fine.kbps).toBeGreaterThan(2 * coarse.kbps);
    expect(coarse.kbps).toBeGreaterThan(small.kbps);
  });

  it('places the chunk’s IDRs (its GOPs and cuts) on the sample, and weighs them at their share of the chunk, not of the sample', async () => {
    // 100 frames in 4 s: IDRs at frames 0 and 50 (2 s GOPs) and 33 (a cut at 1.3 s); the sample is every 5th frame.
    const sample = await extractProbeSample({ segmentPath, startSeconds: 0, chunkFrames: 100, durationSeconds: 4, gopSeconds: 2, keyframeSeconds: [1.3], rotation: 0, rungs: [SMALL], workDir });
    expect(sample).toMatchObject({ frames: 20, idrFrames: [0, 7, 10], frameRate: 25 });
    expect(sample.idrShare).toBeCloseTo(3 / 100, 12);
  });

  it('encodes each probe with an IDR on every sample frame that stands for one of the chunk’s IDRs', async () => {
    const sample = await extractProbeSample({ segmentPath, startSeconds: 0, chunkFrames: 100, durationSeconds: 4, gopSeconds: 2, keyframeSeconds: [1.3], rotation: 0, rungs: [SMALL], workDir });
    // The probe's encode is removed once scored: an ffmpeg shim first on PATH keeps a copy of it (the real ffmpeg does the work).
    const shimDir = await mkdtemp(join(tmpdir(), 'fanout-ffmpeg-shim-'));
    const kept = join(shimDir, 'kept.mp4');
    const { stdout: realFfmpeg } = await run('sh', ['-c', 'command -v ffmpeg']);
    await writeFile(join(shimDir, 'ffmpeg'), `#!/bin/sh\n"${realFfmpeg.trim()}" "$@"; rc=$?\nfor f in "${workDir}"/probe-0-*.mp4; do [ -f "$f" ] && cp "$f" "${kept}"; done\nexit $rc\n`, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${shimDir}:${path}`;
    try {
      await probeRound({ sample, probes: [{ rung: SMALL, crf: 30 }], preset: 'veryfast', metric: 'ssim', workDir, threads: 1 });
    } finally {
      process.env.PATH = path;
    }
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', kept]);
    // One line per frame (ffprobe adds an empty one after a frame with side data).
    const frames = stdout.split('\n').map((line) => line.replace(/,/g, '').trim()).filter((line) => line !== '');
    expect(frames).toHaveLength(sample.frames);
    const keyframes = frames.flatMap((flag, index) => (flag === '1' ? [index] : []));
    expect(keyframes).toEqual(sample.idrFrames);
    await rm(shimDir, { recursive: true, force: true });
  });

  it('scores every probe of a round (two rungs, two CRFs) as it scores each alone', async () => {
    const sample = await extractProbeSample({ segmentPath, startSeconds: 0, chunkFrames: 100, durationSeconds: 4, gopSeconds: 2, rotation: 0, rungs: [RUNG, SMALL], workDir });
    const probes = [{ rung: RUNG, crf: 20 }, { rung: SMALL, crf: 30 }, { rung: RUNG, crf: 36 }];
    // One thread: x264's output is then the same run to run.
    const round = await probeRound({ sample, probes, preset: 'veryfast', metric: 'ssim', workDir, threads: 1 });
    const alone = await Promise.all(probes.map(({ rung, crf }) => probeEncode({ sample, rung, crf, preset: 'veryfast', metric: 'ssim', workDir, threads: 1 })));
    expect(round).toEqual(alone);
    expect(round[0]!.mean).toBeGreaterThan(round[2]!.mean);
  });

  it('scores the first round, encoded from the sample’s decode, as a round encoded from the references', async () => {
    const probes = [{ rung: RUNG, crf: 22 }, { rung: SMALL, crf: 34 }];
    const options = { segmentPath, startSeconds: 0, chunkFrames: 100, durationSeconds: 4, gopSeconds: 2, rotation: 0, rungs: [RUNG, SMALL], preset: 'veryfast', metric: 'ssim', workDir, threads: 1 } as const;
    const search = probeSearch(options);
    const first = await search(probes);
    const sample = await extractProbeSample(options);
    expect(first).toEqual(await probeRound({ ...options, sample, probes }));
    // And its later rounds are rounds from the references.
    expect(await search(probes)).toEqual(first);
  });

  it('stops decoding at the last sampled frame: a chunk at the segment’s start costs a fraction of one at its end', async () => {
    const rungs = [SMALL];
    const cpuOf = async (startSeconds: number, endSeconds: number | undefined) => {
      const before = childrenCpuMs();
      // The talking-head master: a high bitrate, its decode the larger part of the cost.
      await extractProbeSample({ segmentPath: talkingHeadSegment, startSeconds, ...(endSeconds === undefined ? {} : { endSeconds }), chunkFrames: 30, durationSeconds: 1, gopSeconds: 1, rotation: 0, rungs, workDir, threads: 1 });
      return childrenCpuMs() - before;
    };
    // Both decode from the segment's start; only the first may stop after a second of it.
    const [first, last] = [await cpuOf(0, 1), await cpuOf(3, undefined)];
    expect(first, `first second ${first} ms, last second ${last} ms`).toBeLessThan(0.6 * last);
  });

  it('encodes under the rung’s VBV cap, as the chunk encode does: a tight cap scores lower at the same CRF', async () => {
    const tight: ChunkRung = { ...RUNG, name: 'tight', maxrateKbps: 60, bufsizeKbps: 120 };
    const sample = await extractProbeSample({ segmentPath, startSeconds: 0, chunkFrames: 100, durationSeconds: 4, gopSeconds: 2, rotation: 0, rungs: [RUNG, tight], workDir });
    const [capped, roomy] = await Promise.all([
      probeEncode({ sample, rung: tight, crf: 16, preset: 'veryfast', metric: 'ssim', workDir }),
      probeEncode({ sample, rung: RUNG, crf: 16, preset: 'veryfast', metric: 'ssim', workDir }),
    ]);
    expect(capped.mean, `capped ${capped.mean}, at 700 kb/s ${roomy.mean}`).toBeLessThan(roomy.mean - 0.01);
  });

  it('finds a CRF whose real encode of the whole chunk meets the target on a low-motion noisy shot (the probes overestimated it: a CRF whose chunk came out under the target)', async () => {
    // The talking-head case: little motion, light temporal noise; quality falls through each 2 s
    // GOP. Probes of 8-frame windows, each on its own IDR, saw only the GOPs' best frames.
    const target = 0.98;
    // Scaled down a little, as a 540p source's 480p rung is.
    const rung: ChunkRung = { name: '320p', width: 568, height: 320, crf: 24, maxrateKbps: 1200, bufsizeKbps: 2400 };
    const sample = await extractProbeSample({ segmentPath: talkingHeadSegment, startSeconds: 0, chunkFrames: 120, durationSeconds: 4, gopSeconds: 2, rotation: 0, rungs: [rung], workDir });
    // As the probe task searches: in rounds.
    const [search] = await runCrfSearchRounds({ target, startCrfs: [rung.crf] }, async (probes) =>
      (await probeRound({ sample, probes: probes.map(({ crf }) => ({ rung, crf })), preset: 'veryfast', metric: 'ssim', workDir })).map((score) => score.mean),
    );
    expect(search!.reached).toBe(true);

    const outputPath = join(workDir, 'talking-head-chunk.mp4');
    await encodeChunk({ segmentPath: talkingHeadSegment, startSeconds: 0, rotation: 0, rungs: [{ ...rung, crf: search!.crf }], gopSeconds: 2, preset: 'veryfast', outputs: { [rung.name]: outputPath } });
    expect(await ssimOf(outputPath, rung.width, rung.height, talkingHeadPath), `CRF ${search!.crf}, probes ${JSON.stringify(search!.probes)}`).toBeGreaterThanOrEqual(target);
  });

  it('finds a CRF whose real encode of the whole chunk meets the target', async () => {
    const target = 0.97;
    const sample = await extractProbeSample({ segmentPath, startSeconds: 0, chunkFrames: 100, durationSeconds: 4, gopSeconds: 2, rotation: 0, rungs: [RUNG], workDir });
    const search = await runCrfSearch({ target, startCrf: RUNG.crf }, async (crf) => (await probeEncode({ sample, rung: RUNG, crf, preset: 'veryfast', metric: 'ssim', workDir })).mean);
    expect(search.reached).toBe(true);
    expect(search.probes.length).toBeLessThanOrEqual(4);

    const outputPath = join(workDir, 'chunk.mp4');
    await encodeChunk({ segmentPath, startSeconds: 0, rotation: 0, rungs: [{ ...RUNG, crf: search.crf }], gopSeconds: 2, preset: 'veryfast', outputs: { [RUNG.name]: outputPath } });
    expect(await ssimOf(outputPath, RUNG.width, RUNG.height)).toBeGreaterThanOrEqual(target);
  });
});
