/**
 * `fanout dev` as a user runs it, in each storage mode: it comes up on the ports it was given
 * (or names the free one it took instead), and a Ctrl-C (SIGINT to its process group, as a
 * terminal sends it) stops it within a few seconds, leaving no MinIO of its own running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../infra/local/storage/find-free-port.ts';
import { startMinio } from '../../infra/local/storage/minio-server.ts';

const cli = fileURLToPath(new URL('../../infra/cli/fanout.ts', import.meta.url));
const PROMPT_EXIT_MS = 5_000;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Dev = { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> };

async function startDev(args: string[], env: Record<string, string> = {}): Promise<Dev> {
  const stateDir = await mkdtemp(join(tmpdir(), 'fanout-dev-'));
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  // Its own process group, so the test can send SIGINT to the group as a terminal does.
  const child = spawn(process.execPath, [cli, 'dev', ...args], { env: { ...process.env, FANOUT_STATE_DIR: stateDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  const up = await Promise.race([
    (async () => {
      while (!stdout.includes('Fanout local stack is running')) await new Promise((resolve) => setTimeout(resolve, 100));
      return true;
    })(),
    exited.then(() => false),
  ]);
  if (!up) throw new Error(`fanout dev exited at start:\n${stderr}`);
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Ctrl-C: SIGINT to the whole process group; resolves with the exit code and how long it took. */
async function ctrlC(dev: Dev): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  process.kill(-dev.child.pid!, 'SIGINT');
  const code = await Promise.race([dev.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000))]);
  if (code === 'hung') throw new Error(`fanout dev did not exit within 20 s of SIGINT:\n${dev.stderr()}`);
  return { code, ms: Date.now() - started };
}

/** Running `minio server` processes whose data dir is under `stateDir`. */
async function minioProcessesUnder(stateDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (args[1] === 'server' && args[2]?.startsWith(stateDir)) pids.push(Number(entry));
  }
  return pids;
}

function stateDirOf(dev: Dev): string {
  return /state\s+(\S+)/.exec(dev.stdout())![1]!;
}

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return server;
}

describe('fanout dev stops promptly on Ctrl-C', () => {
  it('with its own MinIO, on the ports it was given, leaving no MinIO running', async () => {
    const [storagePort, sfnPort] = [await findFreePort(), await findFreePort()];
    const dev = await startDev(['--storage', 'minio', '--storage-port', String(storagePort), '--sfn-port', String(sfnPort)]);
    expect(dev.stdout()).toContain(`MinIO at http://127.0.0.1:${storagePort}`);
    expect(dev.stdout()).toContain(`step functions  http://127.0.0.1:${sfnPort}`);
    const stateDir = stateDirOf(dev);
    expect(await minioProcessesUnder(stateDir)).toHaveLength(1);

    const { code, ms } = await ctrlC(dev);

    expect(code).toBe(0);
    expect(ms).toBeLessThan(PROMPT_EXIT_MS);
    expect(dev.stderr()).not.toMatch(/storage: MinIO (exited|stopped)/); // the Ctrl-C did not end MinIO under the stack
    expect(await minioProcessesUnder(stateDir)).toEqual([]);
  });

  it('with a MinIO the user runs (MINIO_ENDPOINT)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fanout-their-minio-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const minio = await startMinio({ dataDir });
    cleanups.push(() => minio.stop());
    const dev = await startDev(['--storage-port', String(await findFreePort()), '--sfn-port', String(await findFreePort())], {
      MINIO_ENDPOINT: minio.endpoint,
      MINIO_ROOT_USER: minio.credentials.accessKeyId,
      MINIO_ROOT_PASSWORD: minio.credentials.secretAccessKey,
    });
    expect(dev.stdout()).toContain(`MinIO (MINIO_ENDPOINT) at ${minio.endpoint}`);

    const { code, ms } = await ctrlC(dev);

    expect(code).toBe(0);
    expect(ms).toBeLessThan(PROMPT_EXIT_MS);
  });

  it('with the embedded server, naming the free port it took when the given one is taken', async () => {
    const taken = await findFreePort();
    await occupy(taken);
    const dev = await startDev(['--storage', 'embedded', '--storage-port', String(taken), '--sfn-port', String(await findFreePort())]);
    const used = /storage: port (\d+) is taken; using (\d+)/.exec(dev.stderr());
    expect(used?.[1]).toBe(String(taken));
    expect(dev.stdout()).toContain(`embedded S3 server at http://127.0.0.1:${used?.[2]}`);

    const { code, ms } = await ctrlC(dev);

    expect(code).toBe(0);
    expect(ms).toBeLessThan(PROMPT_EXIT_MS);
  });
});
