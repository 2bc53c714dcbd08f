import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prepareMediaJob } from '../../functions/splitter/prepare-media-job.ts';
import type { SplitSettings } from '../../functions/splitter/split-upload.ts';
import { MediaPlan } from '../../shared/contracts/work-plan.ts';
import { keys } from '../../shared/keys.ts';
import { listVideoFrames } from '../../shared/media/ffmpeg/list-video-frames.ts';
import { videoFixture } from '../../fixtures/videos.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';
import { expectRejected } from '../support/rejection-of.ts';

const settings: SplitSettings = {
  workBucket: 'work',
  imageWidths: [320],
  imageFormats: ['jpeg'],
  maxImagePixels: 50_000_000,
  maxInputBytes: 100_000_000,
  media: { maxDurationSeconds: 60, maxWidth: 1920, maxHeight: 1080, maxStreams: 4, chunkSeconds: 2, segmentSeconds: 2, gopSeconds: 1, preset: 'ultrafast', distributedMapThreshold: 1000, thumbnails: 2, assemblerStorageBytes: 1024 ** 3 },
};

// ffprobe, wrapped to log each run's arguments: the test counts the passes over the whole file.
let wrapperDir: string;
let log: string;
let savedPath: string | undefined;
let workDir: string;

beforeAll(async () => {
  wrapperDir = await mkdtemp(join(tmpdir(), 'fanout-ffprobe-log-'));
  log = join(wrapperDir, 'runs.log');
  const realFfprobe = execFileSync('sh', ['-c', 'command -v ffprobe'], { encoding: 'utf8' }).trim();
  await writeFile(join(wrapperDir, 'ffprobe'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realFfprobe}' "$@"\n`);
  await chmod(join(wrapperDir, 'ffprobe'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${wrapperDir}:${savedPath ?? ''}`;
});

afterAll(async () => {
  process.env.PATH = savedPath;
  await rm(wrapperDir, { recursive: true, force: true });
});

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-prepare-'));
  await writeFile(log, '');
  return () => rm(workDir, { recursive: true, force: true });
});

/** ffprobe runs that read every packet: the packet count and the frame listing. */
async function wholeFilePasses(): Promise<string[]> {
  const runs = (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
  return runs.filter((run) => run.includes('-count_packets') || run.includes('packet='));
}

describe('prepareMediaJob', () => {
  it('reads a Matroska file whole once: the frame listing counts the frames the container does not state', async () => {
    const sourcePath = await videoFixture('anamorphic.mkv');
    const store = new MemoryObjectStore();
    const upload = { bucket: 'in', key: 'clip.mkv', etag: 'e', size: 1 };

    const prepared = await prepareMediaJob({ jobId: 'clip', upload, sniffed: { mediaType: 'video', format: 'mkv', mime: 'video/matroska' }, localSource: sourcePath, workDir, settings, store });

    expect(await wholeFilePasses()).toHaveLength(1);
    const listed = await listVideoFrames(sourcePath, { format: 'mkv' });
    const plan = MediaPlan.parse(await store.getJson({ bucket: 'work', key: keys.plan('clip') }));
    expect(plan.frameCount).toBe(listed.length);
    expect(prepared.source).toMatchObject({ width: 640, height: 360, frameCount: listed.length });
    expect(plan.chunks.reduce((sum, chunk) => sum + chunk.frames, 0)).toBe(listed.length);
    // What the plan names was made: every segment, the poster and both thumbnails, the audio if any.
    const made = store.keys('work');
    expect(made).toEqual(expect.arrayContaining([...plan.chunks.map((chunk) => keys.segment('clip', chunk.index, 'nut')), keys.still('clip', 'poster'), keys.still('clip', 'thumbnail-2')]));
    expect(prepared.imageTasks.map((task) => task.source.key)).toEqual(expect.arrayContaining([keys.still('clip', 'poster')]));
  });

  it.each([
    { fixture: 'audio-only.m4a', format: 'm4a' },
    { fixture: 'cover-art.mp3', format: 'mp3' },
  ] as const)('plans no scene cuts for audio alone, and decodes no picture for them: $fixture', async ({ fixture, format }) => {
    const store = new MemoryObjectStore();
    const upload = { bucket: 'in', key: fixture, etag: 'e', size: 1 };

    await prepareMediaJob({ jobId: 'sound', upload, sniffed: { mediaType: 'audio', format, mime: 'audio/mp4' }, localSource: await videoFixture(fixture), workDir, settings, store });

    expect(MediaPlan.parse(await store.getJson({ bucket: 'work', key: keys.plan('sound') })).sceneCuts).toEqual([]);
  });

  it("refuses a video whose ladder would not fit the assembler's storage, before cutting anything", async () => {
    const store = new MemoryObjectStore();
    const upload = { bucket: 'in', key: 'clip.mp4', etag: 'e', size: 1 };
    // 6 s of 360p in 2 s chunks: its one rung needs up to ~400 KB/s on the assembler; 1 MiB holds ~2.6 s.
    const tight = { ...settings, media: { ...settings.media, assemblerStorageBytes: 1024 ** 2 } };

    const error = await expectRejected(
      prepareMediaJob({ jobId: 'clip', upload, sniffed: { mediaType: 'video', format: 'mp4', mime: 'video/mp4' }, localSource: await videoFixture('h264.mp4'), workDir, settings: tight, store }),
      'DURATION_EXCEEDED',
    );

    expect(error.detail).toMatch(/360p ladder the assembler's 1 MiB of storage holds at most 2 s/);
    expect(store.keys('work')).toEqual([]);
  });
});
