/**
 * The probe task (searchChunkCrfs) as the encoder runs it: its chunk's segment from the work
 * bucket, the plan's scene cuts inside the chunk handed to the probe sample (so a probe has an
 * IDR where the chunk will), every rung searched against its own VBV cap, and the search written
 * for the chunk tasks. Real ffmpeg on a small generated source; the work bucket is the
 * in-memory store the encoder's unit tests use (the store's own behaviour is tested on MinIO).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { searchChunkCrfs } from '../../functions/encoder/target-crfs.ts';
import { CrfSearchReport } from '../../shared/contracts/quality.ts';
import type { MediaPlan } from '../../shared/contracts/work-plan.ts';
import { keys } from '../../shared/keys.ts';
import { cutSegment } from '../../shared/media/ffmpeg/cut-segment.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';
import * as probeEncode from '../../shared/media/ffmpeg/probe-encode.ts';
import { testMediaPlan } from '../support/media-plan.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

vi.mock('../../shared/media/ffmpeg/probe-encode.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../shared/media/ffmpeg/probe-encode.ts')>();
  // The real probes, watched: which chunk, cuts and rungs the task hands them.
  return { ...real, probeSearch: vi.fn(real.probeSearch) };
});

const run = promisify(execFile);
const JOB = 'cut-0123';
const RUNGS = [
  { name: '360p', width: 640, height: 360, crf: 25, maxrateKbps: 700, bufsizeKbps: 1400 },
  { name: '240p', width: 426, height: 240, crf: 26, maxrateKbps: 400, bufsizeKbps: 800 },
];
// Two 2 s chunks at 25 fps; a hard cut at 2.8 s, inside chunk 1 and off its 1 s GOP grid.
const CUT_SECONDS = 2.8;

let workDir: string;
let store: MemoryObjectStore;
let plan: MediaPlan;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-probe-task-'));
  const sourcePath = join(workDir, 'source.mp4');
  await run('ffmpeg', [
    '-nostdin', '-y', '-v', 'error',
    '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${CUT_SECONDS}`,
    '-f', 'lavfi', '-i', `smptebars=size=640x360:rate=25:duration=${4 - CUT_SECONDS}`,
    '-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '12', '-g', '25', '-pix_fmt', 'yuv420p', sourcePath,
  ]);
  store = new MemoryObjectStore();
  const segmentPath = join(workDir, 'segment-1.nut');
  await cutSegment({ sourcePath, format: 'mp4', fromSeconds: 2, outputPath: segmentPath });
  await store.uploadFile({ bucket: 'work', key: keys.segment(JOB, 1, INTERMEDIATE_FORMAT.extension) }, segmentPath);
  plan = testMediaPlan({ jobId: JOB, rungs: RUNGS, chunks: 2, frameRate: 25, sceneCuts: [CUT_SECONDS], qualityTarget: { metric: 'ssim', value: 0.98 } });
}, 120_000);
afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the probe task (searchChunkCrfs)', () => {
  it('hands the probes its chunk, the scene cut inside it (from the chunk’s first frame) and every rung; writes the search', async () => {
    const taskDir = join(workDir, 'task');
    await mkdir(taskDir);
    const report = await searchChunkCrfs(plan, 1, taskDir, { store, workBucket: 'work', tmpDir: workDir, ffmpegThreads: 1 });

    expect(vi.mocked(probeEncode.probeSearch)).toHaveBeenCalledTimes(1);
    const [options] = vi.mocked(probeEncode.probeSearch).mock.calls[0]!;
    expect(options).toMatchObject({ startSeconds: 2, chunkFrames: 50, durationSeconds: 2, gopSeconds: 1, rungs: RUNGS });
    expect(options.keyframeSeconds).toHaveLength(1);
    expect(options.keyframeSeconds![0]).toBeCloseTo(CUT_SECONDS - 2, 6);

    // Every rung searched, each probe with its bitrate (what the cap is judged on), and the search in the work bucket.
    expect(report.rungs.map((rung) => rung.rung)).toEqual(['360p', '240p']);
    for (const rung of report.rungs) for (const probe of rung.probes) expect(probe.kbps).toBeGreaterThan(0);
    expect(CrfSearchReport.parse(await store.getJson({ bucket: 'work', key: keys.crfSearch(JOB, 1) }))).toEqual(report);
  }, 120_000);
});
