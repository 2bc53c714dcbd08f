/**
 * A real browser plays what the job API hands out: headless Chromium, on a page from another
 * origin than the API (so CORS is exercised), plays `playback.hls` through hls.js (fMP4 HLS via
 * Media Source Extensions) and `playback.mp4[0]` in a plain <video>. Chromium is Debian's
 * package at /usr/bin/chromium (`.ci/run` installs it); playwright-core drives it, with no
 * browser download of its own.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoFixture } from '../../fixtures/videos.ts';
import { Job } from '../../shared/contracts/api.ts';
import { putUpload, startTestStack, waitForManifest, type TestStack } from '../support/pipeline-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const CHUNKING = { CHUNK_SECONDS: '2', SEGMENT_SECONDS: '2', GOP_SECONDS: '1', X264_PRESET: 'ultrafast' };
const HLS_JS = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
const PAGE = join(import.meta.dirname, 'player.html');
const MiB = 1024 * 1024;

/** What test/browser/player.html puts on `window` (the functions below run in the page, so each names it itself). */
interface Player {
  mseSupportsH264Aac(): boolean;
  playHls(url: string, seconds: number): Promise<{ levels: number; currentTime: number }>;
  playMp4(url: string, seconds: number): Promise<number>;
}

// Skipping is for a developer's machine without Chromium; in CI a missing browser fails.
const runnable = existsSync(CHROMIUM) || process.env.CI === 'true';

let harness: TestStack;
let pageServer: Server;
let pageOrigin: string;
let browser: Browser;
let page: Page;
let playback: NonNullable<Job['playback']>;

/** Serves the player page and hls.js from its own port: a different origin than the API's. */
async function startPageServer(): Promise<Server> {
  const [hlsJs, html] = await Promise.all([readFile(HLS_JS), readFile(PAGE)]);
  const server = createServer((request, response) => {
    if (request.url === '/hls.min.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
    else response.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/**
 * What a page function answers, or its error without the page's stack: vitest would try to read
 * source maps for the page's http:// frames (and fail on them, hiding the message).
 */
async function inPage<T>(evaluation: Promise<T>): Promise<T> {
  try {
    return await evaluation;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.split('\n').filter((line) => !/^\s+at /.test(line)).join('\n'));
  }
}

describe.skipIf(!runnable)('playback in a real browser (Chromium, local stack, MinIO)', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package (apt-get install -y --no-install-recommends chromium)`);
    harness = await startTestStack({
      storage: 'minio',
      functionEnvironment: { splitter: CHUNKING },
      // Low enough that the dashboard's upload below goes in parts (S3's smallest part is 5 MiB).
      apiEnvironment: { MULTIPART_THRESHOLD_BYTES: String(6 * MiB), MULTIPART_PART_BYTES: String(5 * MiB) },
    });
    const { jobId } = await putUpload(harness.stack, await videoFixture('h264.mp4'), 'browser/h264.mp4');
    await waitForManifest(harness.stack, jobId);
    const response = await fetch(`${harness.stack.api.endpoint}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${harness.stack.api.apiKey}` } });
    playback = Job.parse(await response.json()).playback!;

    pageServer = await startPageServer();
    const address = pageServer.address();
    if (address === null || typeof address === 'string') throw new Error('page server has no port');
    pageOrigin = `http://127.0.0.1:${address.port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
    page = await browser.newPage();
    await page.goto(`${pageOrigin}/`);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    pageServer?.close();
    await harness?.stop();
  });

  it('plays the HLS master playlist through hls.js (fMP4 over MSE), one level per MP4 rung', async () => {
    expect(await inPage(page.evaluate(() => (globalThis as unknown as Player).mseSupportsH264Aac())), 'MediaSource.isTypeSupported(video/mp4; codecs="avc1.640028,mp4a.40.2")').toBe(true);
    const played = await inPage(page.evaluate((url) => (globalThis as unknown as Player).playHls(url, 1.5), playback.hls!));
    expect(played.currentTime).toBeGreaterThan(1.5);
    expect(played.levels).toBe(playback.mp4.length);
  }, 30_000);

  it('plays the first MP4 rendition in a plain <video>', async () => {
    const currentTime = await inPage(page.evaluate((url) => (globalThis as unknown as Player).playMp4(url, 1), playback.mp4[0]!.url));
    expect(currentTime).toBeGreaterThan(1);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'playback.png') });
  }, 30_000);

  it('uploads a file past the multipart threshold from the dashboard: the browser PUTs the parts (storage shows it their ETags) and the API completes them', async () => {
    // Noise does not compress: a PNG of about 6.8 MB, two parts of 5 MiB and the rest.
    const side = 1500;
    const pixels = Buffer.alloc(side * side * 3);
    for (let index = 0; index < pixels.length; index++) pixels[index] = (index * 2654435761) >>> 24;
    const png = await sharp(pixels, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    expect(png.length).toBeGreaterThan(6 * MiB);

    const dashboard = await browser.newPage();
    await dashboard.goto(harness.stack.api.dashboardUrl);
    await dashboard.getByLabel('Choose files').setInputFiles({ name: 'noise.png', mimeType: 'image/png', buffer: png });
    const upload = dashboard.locator('.uploads li', { hasText: 'noise.png' });
    await upload.getByRole('link', { name: /uploaded: job/ }).waitFor({ timeout: 60_000 });
    expect(await upload.locator('progress').evaluate((bar: HTMLProgressElement) => [bar.value, bar.max])).toEqual([png.length, png.length]);
    await dashboard.locator('tr', { hasText: 'noise.png' }).locator('[data-status="succeeded"]').waitFor({ timeout: 90_000 });
    // No parts left behind: the upload was completed, not abandoned.
    const pending = await harness.stack.s3.send(new ListMultipartUploadsCommand({ Bucket: harness.stack.deployment.buckets.input }));
    expect(pending.Uploads ?? []).toEqual([]);
    await dashboard.close();
  }, 180_000);
});
