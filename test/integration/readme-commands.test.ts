/**
 * The README's first command, as a new user runs it: a fresh clone of this repository's last
 * commit, `npm install`, then `npm start`, which must set itself up and process the video
 * sample end to end. (Uncommitted changes are not in the clone: CI runs on a commit.)
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
let cloneParent: string | undefined;
afterAll(async () => {
  if (cloneParent) await rm(cloneParent, { recursive: true, force: true });
});

/** Runs an npm script in `cwd` as a user would, with the machine's own npm. */
function npm(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('the README, from a fresh clone', () => {
  it('`npm install && npm start` processes the video sample and says where its renditions are', async () => {
    cloneParent = await mkdtemp(join(tmpdir(), 'fanout-fresh-clone-'));
    const clone = join(cloneParent, 'fanout');
    await run('git', ['clone', '--quiet', '--depth', '1', `file://${repoRoot}`, clone]);

    const install = await npm(['install', '--prefer-offline'], clone);
    expect(install.code, install.output).toBe(0);
    const start = await npm(['start'], clone);

    expect(start.code, start.output).toBe(0);
    expect(start.output).toMatch(/✔ job sample-[0-9a-f]{20} succeeded/);
    expect(start.output).toMatch(/source {6}\S+ \([^)]*1280×720\)/);
    for (const rendition of ['video/720p.mp4', 'video/360p.mp4', 'hls/master.m3u8', 'poster/']) expect(start.output).toContain(rendition);
  }, 600_000);
});
