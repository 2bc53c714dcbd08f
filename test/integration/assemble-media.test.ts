/**
 * The assembler's disk: the real splitter, encoder and assembler cores (real ffmpeg) over an
 * in-memory object store, so that every transfer can look at what the assembler's /tmp holds at
 * that moment. (Storage itself is exercised against MinIO in the pipeline tests.) Rungs are
 * joined, uploaded and deleted one at a time: /tmp never holds files of two rungs, and the
 * renditions come out whole all the same. When an upload fails, nothing is still uploading once
 * the assembler has given up (the failed job's partial renditions are deleted right after).
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleMedia } from '../../functions/assembler/assemble-media.ts';
import { runEncodeTask } from '../../functions/encoder/run-encode-task.ts';
import { splitUpload } from '../../functions/splitter/split-upload.ts';
import { videoFixture } from '../../fixtures/videos.ts';
import { type Rendition, type VideoRendition } from '../../shared/contracts/manifest.ts';
import { ChunkReport } from '../../shared/contracts/quality.ts';
import { MediaPlan } from '../../shared/contracts/work-plan.ts';
import { keys } from '../../shared/keys.ts';
import { TransientError } from '../../shared/errors.ts';
import type { ObjectRef } from '../../shared/storage/object-store.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

/** A memory store that, on every transfer, notes which rungs have files in the assembler's /tmp. */
class WatchingStore extends MemoryObjectStore {
  watchedDir: string | undefined;
  readonly rungsOnDiskAtOnce: string[][] = [];
  rungNames: string[] = [];

  override async download(ref: ObjectRef, filePath: string) {
    await this.look();
    await super.download(ref, filePath);
  }

  override async uploadFile(ref: ObjectRef, filePath: string) {
    await this.look();
    return super.uploadFile(ref, filePath);
  }

  private async look() {
    if (!this.watchedDir) return;
    const paths = await readdir(this.watchedDir, { recursive: true });
    // Chunks live in chunks/<rung>/, the MP4 is <rung>.mp4, the HLS variant hls/<rung>/.
    const rungs = this.rungNames.filter((rung) => paths.some((path) => path.split(/[/.]/).includes(rung)));
    this.rungsOnDiskAtOnce.push(rungs);
  }
}

let workDir: string;
let store: WatchingStore;
let plan: MediaPlan;
let renditions: Rendition[];
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-assemble-media-'));
  store = new WatchingStore();
  // 1918×1078, 2 s: a four-rung ladder, cut into two 1 s chunks.
  const body = await readFile(await videoFixture('odd-size.mp4'));
  store.put('in', 'odd.mp4', body);
  const media = { maxDurationSeconds: 60, maxWidth: 3840, maxHeight: 2160, maxStreams: 4, chunkSeconds: 1, segmentSeconds: 1, gopSeconds: 1, preset: 'ultrafast', distributedMapThreshold: 100, thumbnails: 0, assemblerStorageBytes: 1024 ** 3 };
  const settings = { workBucket: 'work', imageWidths: [320], imageFormats: ['jpeg'] as const, maxImagePixels: 50_000_000, maxInputBytes: 100_000_000, media };
  const upload = { bucket: 'in', key: 'odd.mp4', size: body.length, etag: 'etag-odd' };
  const jobPlan = await splitUpload({ jobId: 'odd', upload, receivedAt: new Date().toISOString() }, { store, tmpDir: workDir, settings });

  plan = MediaPlan.parse(await store.getJson({ bucket: 'work', key: keys.plan(jobPlan.jobId) }));
  for (const task of [...(jobPlan.chunkTasks ?? []), ...(jobPlan.audioTasks ?? [])]) await runEncodeTask(task, { store, workBucket: 'work', tmpDir: workDir, ffmpegThreads: 2 });

  const assemblerTmp = join(workDir, 'assembler');
  await mkdir(assemblerTmp);
  store.watchedDir = assemblerTmp;
  store.rungNames = plan.rungs.map((rung) => rung.name);
  ({ renditions } = await assembleMedia(plan, { store, workBucket: 'work', renditionsBucket: 'out', tmpDir: assemblerTmp }));
}, 120_000);
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('assembleMedia', () => {
  it('plans a ladder of several rungs in several chunks (what this test needs to mean anything)', () => {
    expect(plan.rungs.length).toBeGreaterThanOrEqual(3);
    expect(plan.chunks.length).toBe(2);
  });

  it('never holds files of two rungs on disk at once', () => {
    expect(store.rungsOnDiskAtOnce.length).toBeGreaterThan(plan.rungs.length * plan.chunks.length);
    expect(store.rungsOnDiskAtOnce.filter((rungs) => rungs.length > 1)).toEqual([]);
    // and it did look at each rung while that rung was being worked on
    expect(new Set(store.rungsOnDiskAtOnce.flat())).toEqual(new Set(plan.rungs.map((rung) => rung.name)));
  });

  it('still writes every rung, each with its HLS variant, and one master playlist over all of them', () => {
    const videos = renditions.filter((rendition) => rendition.kind === 'video');
    expect(videos.map((video) => video.rung)).toEqual(plan.rungs.map((rung) => rung.name));
    videos.forEach((video) => expect(video.frames).toBe(plan.frameCount));
    const master = store.objects.get(`out/${keys.hlsMaster(plan.jobId)}`)?.toString('utf8') ?? '';
    for (const rung of plan.rungs) {
      expect(master).toContain(`${rung.name}/index.m3u8`);
      expect(store.keys('out').filter((key) => key.startsWith(`${keys.hlsPrefix(plan.jobId)}${rung.name}/seg-`)).length).toBeGreaterThanOrEqual(2);
    }
  });
});

/** A copy of the work bucket, where one upload fails at once while the others read their file and take a while to land. */
class FlakyUploads extends MemoryObjectStore {
  readonly failing: (key: string) => boolean;

  constructor(copyOf: MemoryObjectStore, failing: (key: string) => boolean) {
    super();
    this.failing = failing;
    for (const [id, body] of copyOf.objects) if (id.startsWith('work/')) this.objects.set(id, body);
  }

  override async uploadFile(ref: ObjectRef, filePath: string) {
    if (this.failing(ref.key)) throw new TransientError('STORAGE_UNAVAILABLE', `s3://${ref.bucket}/${ref.key}: connection reset`);
    const body = await readFile(filePath);
    await new Promise((resolve) => setTimeout(resolve, 300));
    this.put(ref.bucket, ref.key, body);
    return { bytes: body.length };
  }
}

describe('assembleMedia when an upload fails', () => {
  it('rejects only once every other transfer has ended: nothing lands after it gave up', async () => {
    const flaky = new FlakyUploads(store, (key) => key.endsWith('/seg-00001.m4s'));
    const tmpDir = await mkdtemp(join(workDir, 'flaky-'));

    await expect(assembleMedia(plan, { store: flaky, workBucket: 'work', renditionsBucket: 'out', tmpDir })).rejects.toThrow(TransientError);
    const landedBeforeRejection = flaky.keys('out');
    await new Promise((resolve) => setTimeout(resolve, 600));

    expect(landedBeforeRejection.length).toBeGreaterThan(0);
    expect(flaky.keys('out')).toEqual(landedBeforeRejection);
  });
});

describe('assembleMedia in target mode, with a rung that adds nothing', () => {
  it('leaves the dropped rung out of the master playlist and the renditions, withdraws its MP4 and HLS variant, and lists it in the ladder', async () => {
    expect(plan.quality).toBeDefined();
    const targetStore = new MemoryObjectStore();
    for (const [id, body] of store.objects) if (id.startsWith('work/')) targetStore.objects.set(id, body);
    const target = { metric: 'ssim' as const, value: 0.98 };
    const targetPlan = MediaPlan.parse({ ...plan, qualityTarget: target });
    // The next-to-last rung measures worse than the smaller, cheaper rung below it: it is off the hull.
    const names = plan.rungs.map((rung) => rung.name);
    const offHull = names.at(-2)!;
    const viewed = Object.fromEntries(names.map((rung, index) => [rung, rung === offHull ? 0.9 : 0.99 - 0.01 * index]));
    for (const chunk of plan.chunks) {
      const ref = { bucket: 'work', key: keys.chunkReport(plan.jobId, chunk.index) };
      const report = ChunkReport.parse(await targetStore.getJson(ref));
      await targetStore.putJson(ref, { ...report, rungs: report.rungs.map((rung) => ({ ...rung, viewed: { ...rung.viewed, mean: viewed[rung.rung]! } })) });
    }
    const tmpDir = await mkdtemp(join(workDir, 'target-'));
    const { renditions: pruned, ladder } = await assembleMedia(targetPlan, { store: targetStore, workBucket: 'work', renditionsBucket: 'out', tmpDir });

    const dropped = ladder?.dropped.map((rung) => rung.rung) ?? [];
    expect(ladder).toMatchObject({ mode: 'target', target });
    expect(dropped).toContain(offHull);
    const kept = plan.rungs.map((rung) => rung.name).filter((rung) => !dropped.includes(rung));
    expect(pruned.filter((rendition) => rendition.kind === 'video').map((video) => video.rung)).toEqual(kept);
    expect(pruned.find((rendition) => rendition.kind === 'hls')).toMatchObject({ variants: kept.length });
    const master = targetStore.objects.get(`out/${keys.hlsMaster(plan.jobId)}`)?.toString('utf8') ?? '';
    for (const rung of kept) expect(master).toContain(`${rung}/index.m3u8`);
    // The ladder compares video bitrates (the HLS variants'): a dropped rung is listed below its MP4's, which carries the audio too.
    const audio = renditions.find((rendition) => rendition.kind === 'audio');
    if (audio?.kind !== 'audio') throw new Error('the source has no audio: nothing tells a video bitrate from a muxed one');
    expect(audio.bitrateKbps).toBeGreaterThan(32);
    for (const rung of ladder!.dropped) {
      const mp4 = renditions.find((rendition): rendition is VideoRendition => rendition.kind === 'video' && rendition.rung === rung.rung)!;
      expect(rung.bitrateKbps, rung.rung).toBeLessThan(mp4.bitrateKbps - audio.bitrateKbps / 2);
    }
    for (const rung of dropped) {
      expect(master).not.toContain(`${rung}/index.m3u8`);
      expect(targetStore.keys('out').filter((key) => key === keys.videoRendition(plan.jobId, rung) || key.startsWith(`${keys.hlsPrefix(plan.jobId)}${rung}/`))).toEqual([]);
    }
  });
});
