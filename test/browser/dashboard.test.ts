/**
 * The dashboard end to end, as a person uses it: `fanout dev` on a real MinIO, Debian's Chromium
 * driven by playwright-core opening the dashboard URL the command printed. Drop a video, watch it
 * reach `succeeded` with no reload, open it, play its HLS past 2 s, switch level, hover the seek
 * bar for a storyboard preview, see the fan-out's chunk bars; drop a hostile file and see its
 * code; delete a job. Screenshots go to test/browser/artifacts (laptop and phone widths), and
 * axe-core checks the pages for serious accessibility faults.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hlsPlaylistText } from '../../fixtures/videos.ts';
import { Job } from '../../shared/contracts/api.ts';
import { findFreePort } from '../../infra/local/storage/find-free-port.ts';
import { StackConnection } from '../../infra/cli/stack-connection.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const CLI = fileURLToPath(new URL('../../infra/cli/fanout.ts', import.meta.url));
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const LAPTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const execFileAsync = promisify(execFile);

// Skipping is for a developer's machine without Chromium; in CI a missing browser fails.
const runnable = existsSync(CHROMIUM) || process.env.CI === 'true';

let workDir: string;
let dev: ChildProcess;
let devOutput = '';
let connection: StackConnection;
let browser: Browser;
let page: Page;
let video: { name: string; bytes: Buffer };

/** 854×480 (two rungs: 480p and 360p), 10 s (three 4 s chunks), a tone: made with ffmpeg, nothing downloaded. */
async function makeVideo(path: string): Promise<void> {
  await execFileAsync('ffmpeg', [
    '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=25:duration=10',
    '-f', 'lavfi', '-i', 'sine=frequency=440:duration=10',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path,
  ]);
}

/** What a person's drop does: a DragEvent carrying the files, on the drop zone. */
async function dropFiles(target: Page, files: Array<{ name: string; type: string; bytes: Buffer }>): Promise<void> {
  const dataTransfer = await target.evaluateHandle((encoded) => {
    const transfer = new DataTransfer();
    for (const file of encoded) {
      const bytes = Uint8Array.from(atob(file.base64), (char) => char.charCodeAt(0));
      transfer.items.add(new File([bytes], file.name, { type: file.type }));
    }
    return transfer;
  }, files.map((file) => ({ name: file.name, type: file.type, base64: file.bytes.toString('base64') })));
  await target.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer });
}

/** axe-core's serious and critical findings on the page as it is now. */
async function accessibilityFaults(target: Page): Promise<string[]> {
  await target.addScriptTag({ path: AXE });
  const results = await target.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    // The player's controls are media-chrome's own web components; the page's markup is ours.
    return axe.run({ exclude: [['media-controller']] }, { resultTypes: ['violations'] });
  });
  return results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${violation.id}: ${violation.help} (${JSON.stringify(violation.nodes.map((node) => node.target))})`);
}

async function screenshot(target: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await target.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

const horizontalOverflow = (target: Page) => target.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

describe.skipIf(!runnable)('the dashboard in a real browser (Chromium, fanout dev, MinIO)', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package (apt-get install -y --no-install-recommends chromium)`);
    workDir = await mkdtemp(join(tmpdir(), 'fanout-dashboard-'));
    const videoPath = join(workDir, 'lecture.mp4');
    await makeVideo(videoPath);
    video = { name: 'lecture.mp4', bytes: await readFile(videoPath) };

    // `fanout dev` as a user starts it; its own state folder and ports (a taken one is replaced and named).
    const stateDir = join(workDir, 'state');
    dev = spawn(process.execPath, [CLI, 'dev', '--storage', 'minio', '--storage-port', String(await findFreePort()), '--sfn-port', String(await findFreePort())], {
      env: { ...process.env, FANOUT_STATE_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    dev.stdout!.on('data', (chunk) => (devOutput += chunk));
    dev.stderr!.on('data', (chunk) => (devOutput += chunk));
    const deadline = Date.now() + 90_000;
    while (!devOutput.includes('Fanout local stack is running')) {
      if (dev.exitCode !== null || Date.now() > deadline) throw new Error(`fanout dev did not come up:\n${devOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    connection = StackConnection.parse(JSON.parse(await readFile(join(stateDir, 'stack.json'), 'utf8')));

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
    // The copy buttons write to the clipboard; the test reads it back.
    page = await browser.newPage({ viewport: LAPTOP, permissions: ['clipboard-read', 'clipboard-write'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (dev?.pid && dev.exitCode === null) {
      process.kill(-dev.pid, 'SIGINT');
      await new Promise((resolve) => dev.once('exit', resolve));
    }
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('prints the dashboard URL and records it in stack.json; it opens signed in, and the key leaves the address bar', async () => {
    expect(connection.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard\/#key=/);
    expect(devOutput).toContain(connection.dashboardUrl);

    await page.goto(connection.dashboardUrl!);
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    expect(page.url()).not.toContain(connection.apiKey!);
    await page.getByText('No jobs yet').waitFor();
  });

  it('turns a dropped video into a job the list shows reaching succeeded, without a reload', async () => {
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await dropFiles(page, [{ name: video.name, type: 'video/mp4', bytes: video.bytes }]);

    const upload = page.locator('.uploads li', { hasText: video.name });
    await upload.getByRole('link', { name: /uploaded: job/ }).waitFor({ timeout: 60_000 });
    expect(await upload.locator('progress').evaluate((bar: HTMLProgressElement) => [bar.value, bar.max])).toEqual([video.bytes.length, video.bytes.length]);

    const row = page.locator('tr', { hasText: video.name });
    await row.locator('[data-status="succeeded"]').waitFor({ timeout: 150_000 });
    await expect.poll(() => row.getByText(/0:10 \(854×480/).count()).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await screenshot(page, 'dashboard-list.png');
  }, 240_000);

  it("opens the job: its fan-out drawn from the execution history, a bar per chunk and the split, audio, stills and assembler", async () => {
    await page.locator('tr', { hasText: video.name }).getByRole('link', { name: video.name }).click();
    await page.getByRole('heading', { name: video.name }).waitFor();
    const timeline = page.getByTestId('timeline');
    await timeline.waitFor();
    // 10 s in 4 s chunks: three encodes, each its own lane.
    expect(await timeline.locator('rect[data-step="encode"]').count()).toBe(3);
    for (const step of ['split', 'audio', 'resize', 'assemble']) expect(await timeline.locator(`rect[data-step="${step}"]`).count(), step).toBeGreaterThan(0);
    expect(await timeline.locator('rect[data-outcome="succeeded"]').count()).toBe(await timeline.locator('rect.bar').count());
    // Every bar lies inside the axis: its x and width come from the history's times, not from nothing.
    const boxes = await timeline.locator('rect.bar').evaluateAll((rects) => rects.map((rect) => ({ x: Number(rect.getAttribute('x')), width: Number(rect.getAttribute('width')) })));
    const svgWidth = Number(await timeline.getAttribute('width'));
    for (const box of boxes) expect(box.x + box.width).toBeLessThanOrEqual(svgWidth + 0.5);
    // The encodes run after the split: their bars start to the right of the split's end.
    const split = boxes[0]!;
    const encodes = await timeline.locator('rect[data-step="encode"]').evaluateAll((rects) => rects.map((rect) => Number(rect.getAttribute('x'))));
    for (const x of encodes) expect(x).toBeGreaterThanOrEqual(split.x + split.width - 1);
  }, 60_000);

  it('plays the HLS package past 2 s, then switches to the other level through the player menu', async () => {
    const player = page.getByTestId('hls-video');
    await player.waitFor();
    await page.locator('media-play-button').first().click();
    await expect.poll(() => player.evaluate((element: HTMLVideoElement) => element.currentTime), { timeout: 30_000 }).toBeGreaterThan(2);

    const levels = await player.evaluate((element) => (element as unknown as { api: { levels: Array<{ height: number }> } }).api.levels.map((level) => level.height));
    expect(levels.sort()).toEqual([360, 480]);
    const showing = await player.evaluate((element: HTMLVideoElement) => element.videoHeight);
    const other = showing === 480 ? 360 : 480;

    await page.getByTestId('rendition-button').click();
    await page.locator('media-rendition-menu [role="menuitemradio"]', { hasText: `${other}p` }).click();
    await page.evaluate(() => {
      const element = document.querySelector('[data-testid="hls-video"]') as HTMLVideoElement;
      element.currentTime = 0;
      void element.play();
    });
    await expect.poll(() => player.evaluate((element: HTMLVideoElement) => element.videoHeight), { timeout: 30_000 }).toBe(other);
    expect(await player.evaluate((element) => (element as unknown as { api: { autoLevelEnabled: boolean } }).api.autoLevelEnabled)).toBe(false);
  }, 90_000);

  it("shows a storyboard frame when the pointer hovers the seek bar", async () => {
    await page.locator('[data-testid="hls-video"]').evaluate((element: HTMLVideoElement) => element.pause());
    const seekBar = page.getByTestId('seek-bar');
    await seekBar.scrollIntoViewIfNeeded();
    const box = (await seekBar.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2);
    const preview = page.getByTestId('storyboard-preview');
    await expect.poll(() => preview.getAttribute('mediapreviewimage'), { timeout: 10_000 }).toMatch(/\/storyboard\/\d+\.jpg(#xywh=[\d,]+)?$/);
    const coords = (await preview.getAttribute('mediapreviewcoords'))!.split(' ').map(Number);
    expect(coords).toHaveLength(4);
    // 160-px tiles: the region is one tile of the sprite, past the first (hovering at 75% of 10 s).
    expect(coords[2]).toBe(160);
    expect(coords[0]! + coords[1]!).toBeGreaterThan(0);
    const image = await preview.evaluate(async (element) => {
      const img = element.shadowRoot?.querySelector('img');
      if (!img) return undefined;
      await img.decode().catch(() => undefined);
      return { loaded: img.complete && img.naturalWidth > 0, src: img.src };
    });
    expect(image?.loaded).toBe(true);
    // The pointer still on the bar (media-chrome hides idle controls): the preview is on screen.
    await page.mouse.move(box.x + box.width * 0.76, box.y + box.height / 2);
    await expect.poll(() => preview.isVisible(), { timeout: 5000 }).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-job-hover.png') });
  }, 30_000);

  it('copies the URLs the API hands out for this job: the HLS playlist, each MP4, the manifest', async () => {
    const jobId = /#\/jobs\/([^/?#]+)/.exec(page.url())![1]!;
    const answer = await fetch(`${connection.apiEndpoint}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${connection.apiKey}` } });
    const playback = Job.parse(await answer.json()).playback!;
    const copied = async (name: string) => {
      await page.evaluate(() => navigator.clipboard.writeText(''));
      await page.getByRole('button', { name, exact: true }).click();
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).not.toBe('');
      return page.evaluate(() => navigator.clipboard.readText());
    };
    expect(await copied('Copy URL of the HLS master playlist')).toBe(playback.hls);
    expect(playback.mp4.length).toBeGreaterThan(1);
    for (const mp4 of playback.mp4) expect(await copied(`Copy URL of the ${mp4.rung} MP4`), mp4.rung).toBe(mp4.url);
    expect(await copied('Copy URL of the manifest')).toBe(playback.manifest);
  }, 30_000);

  it('lays the job page out for a phone with no sideways scrolling, and has no serious accessibility faults', async () => {
    expect(await accessibilityFaults(page)).toEqual([]);
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, 'dashboard-job-phone.png');
    await page.setViewportSize(LAPTOP);
  }, 30_000);

  it('shows a dropped hostile file as rejected, with its code and message, and deletes it on request', async () => {
    await page.goto(connection.dashboardUrl!.replace(/#.*$/, '#/'));
    const hostile = { name: 'holiday.mp4', type: 'video/mp4', bytes: Buffer.from(hlsPlaylistText('http://169.254.169.254/latest/')) };
    await dropFiles(page, [hostile]);
    const row = page.locator('tr', { hasText: hostile.name });
    await row.locator('[data-status="rejected"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => row.locator('.job-error code').textContent()).toMatch(/^[A-Z_]+$/);
    const code = await row.locator('.job-error code').textContent();
    expect(code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await accessibilityFaults(page)).toEqual([]);
    await screenshot(page, 'dashboard-rejected.png');
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, 'dashboard-list-phone.png');
    await page.setViewportSize(LAPTOP);

    await row.getByRole('link', { name: hostile.name }).click();
    // Asked first: dismissed, nothing is deleted and the job's page stays.
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.dismiss();
    });
    await page.getByRole('button', { name: 'Delete job' }).click();
    await expect.poll(() => asked).toContain('Delete job');
    await page.waitForTimeout(500);
    expect(await page.getByRole('heading', { name: hostile.name }).count()).toBe(1);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete job' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await expect.poll(() => page.locator('tr', { hasText: hostile.name }).count(), { timeout: 10_000 }).toBe(0);
    await page.locator('tr', { hasText: video.name }).waitFor();
  }, 120_000);
});
