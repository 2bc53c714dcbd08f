/**
 * What the video pipeline tests share: a stack that cuts short chunks, renditions fetched to local
 * files, the frame intervals a player sees, and ffmpeg's interlace detector.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import type { LocalStack } from '../../infra/local/local-stack.ts';
import { videoPts } from './inspect-media.ts';
import { readRendition, startTestStack, type TestStack } from './pipeline-harness.ts';

const run = promisify(execFile);

export interface RenditionDownloads {
  /** The folder the renditions land in, under their keys. */
  dir: string;
  /** Fetches one rendition; returns its local path. */
  download(key: string): Promise<string>;
  remove(): Promise<void>;
}

export async function renditionDownloads(stack: () => LocalStack, prefix: string): Promise<RenditionDownloads> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    async download(key) {
      const path = join(dir, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await readRendition(stack(), key));
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** ffmpeg's interlace detector over a whole file: its multi-frame verdicts. */
export async function interlaceCounts(path: string): Promise<{ tff: number; bff: number; progressive: number }> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', path, '-map', '0:v:0', '-vf', 'idet', '-f', 'null', '-']);
  const line = /Multi frame detection: TFF:\s*(\d+) BFF:\s*(\d+) Progressive:\s*(\d+)/.exec(stderr);
  if (!line) throw new Error(`no idet summary for ${path}`);
  return { tff: Number(line[1]), bff: Number(line[2]), progressive: Number(line[3]) };
}

/** Short chunks, so that the small fixtures still fan out into several. */
const SHORT_CHUNKS = { CHUNK_SECONDS: '2', SEGMENT_SECONDS: '2', GOP_SECONDS: '1', X264_PRESET: 'ultrafast' };

/**
 * A MinIO stack whose splitter cuts short chunks, started before the file's tests and stopped
 * after them, with a folder for the renditions they fetch.
 */
export function useShortChunkStack(prefix: string): { harness: () => TestStack; download: (key: string) => Promise<string>; downloadsDir: () => string } {
  let harness: TestStack | undefined;
  let downloads: RenditionDownloads | undefined;
  const started = (): TestStack => harness ?? expectStarted();
  beforeAll(async () => {
    harness = await startTestStack({ storage: 'minio', functionEnvironment: { splitter: SHORT_CHUNKS } });
    downloads = await renditionDownloads(() => started().stack, prefix);
  });
  afterAll(async () => {
    await harness?.stop();
    await downloads?.remove();
  });
  return { harness: started, download: (key) => (downloads ?? expectStarted()).download(key), downloadsDir: () => (downloads ?? expectStarted()).dir };
}

function expectStarted(): never {
  throw new Error('the test stack is used before its beforeAll ran');
}

/** The intervals between the video frames, in display order (from the packets' timestamps). */
export async function frameIntervals(path: string): Promise<number[]> {
  const pts = await videoPts(path);
  return pts.slice(1).map((time, index) => time - pts[index]!);
}
