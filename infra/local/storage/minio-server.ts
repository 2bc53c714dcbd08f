import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Socket } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from './find-free-port.ts';
import { findMinio } from './minio-binary.ts';
import type { StorageHost } from './storage-host.ts';

/** Id of the webhook notification target configured by `startMinio({ webhook })`. */
export const MINIO_WEBHOOK_TARGET_ID = 'FANOUT';
/** The ARN a bucket notification uses to send events to that target. */
export const MINIO_WEBHOOK_QUEUE_ARN = `arn:minio:sqs::${MINIO_WEBHOOK_TARGET_ID}:webhook`;
/**
 * A second target on the same endpoint, without a queue: MinIO posts to it as the upload
 * completes, where the queued target's sender ticks every 3 s. The queued one still delivers
 * what the immediate one could not (the receiver down); the duplicate costs one lookup.
 */
export const MINIO_IMMEDIATE_WEBHOOK_QUEUE_ARN = `arn:minio:sqs::${MINIO_WEBHOOK_TARGET_ID}NOW:webhook`;

export type MinioHost = StorageHost & {
  /** The server's process id, for callers that must prove it is gone. */
  pid: number;
  consoleEndpoint: string;
  /** Resolves when the process has exited, however it ended (stop() included). */
  exited: Promise<MinioExit>;
};

/** How a MinIO process ended: its exit code, or the signal that killed it. */
export type MinioExit = { code: number | null; signal: NodeJS.Signals | null };

export type StartMinioOptions = {
  dataDir: string;
  /** API port on 127.0.0.1; a free one when left out. */
  port?: number;
  /** Console port on 127.0.0.1; a free one when left out. */
  consolePort?: number;
  /**
   * Sends bucket events to `endpoint` (see webhook-receiver.ts). Events wait in `queueDir` on
   * disk while the endpoint is down and are replayed when it is back, across MinIO restarts too.
   */
  webhook?: { endpoint: string; queueDir: string };
  /** Root credentials; fresh random ones when left out. A persistent data dir wants the same ones every time. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Defaults to `findMinio()`. */
  binary?: string;
  onLog?: (line: string) => void;
  readyTimeoutMs?: number;
};

const STOP_GRACE_MS = 5_000;
const RECENT_LINES = 40;

/**
 * Starts `minio server` on 127.0.0.1 with the given (or fresh) root credentials and waits until it is ready.
 * The process is killed when `stop()` is called, when this process exits, and (through a small
 * watchdog) when this process dies without running its exit handlers.
 */
export async function startMinio(options: StartMinioOptions): Promise<MinioHost> {
  const binary = options.binary ?? findMinio();
  if (binary === undefined) {
    throw new Error(
      'no MinIO binary found: run `node infra/local/storage/install-minio.ts` (needs Go) ' +
        'or set MINIO_BIN to a MinIO server binary',
    );
  }
  // minio refuses port 0, so ports are picked here; another process may grab one in between.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchMinio(binary, options);
    } catch (error) {
      const retry = error instanceof PortTakenError && options.port === undefined && attempt < 3;
      if (!retry) throw error;
    }
  }
}

class PortTakenError extends Error {
  override name = 'PortTakenError';
}

async function launchMinio(binary: string, options: StartMinioOptions): Promise<MinioHost> {
  const port = options.port ?? (await findFreePort());
  let consolePort = options.consolePort ?? (await findFreePort());
  while (consolePort === port) consolePort = await findFreePort();
  const credentials = options.credentials ?? {
    accessKeyId: `fanout-${randomBytes(4).toString('hex')}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  await mkdir(options.dataDir, { recursive: true });

  const child = spawn(
    binary,
    [
      'server',
      options.dataDir,
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
    ],
    {
      env: { ...inheritedEnv(), ...(await minioEnv(credentials, options.webhook)) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches us, and stop() ends MinIO after
      // the stack, instead of MinIO dying first under running jobs (and being "restarted").
      detached: true,
    },
  );
  const server = watchProcess(child, options.onLog);
  const endpoint = `http://127.0.0.1:${port}`;

  try {
    await waitUntilReady(endpoint, server, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    endpoint,
    consoleEndpoint: `http://127.0.0.1:${consolePort}`,
    credentials,
    region: 'us-east-1',
    pid: server.pid,
    exited: server.exited,
    stop: server.stop,
  };
}

/** The parent's environment minus its own MINIO_* settings, so that only ours apply. */
function inheritedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('MINIO_')),
  );
}

async function minioEnv(
  credentials: { accessKeyId: string; secretAccessKey: string },
  webhook: StartMinioOptions['webhook'],
): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    MINIO_ROOT_USER: credentials.accessKeyId,
    MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
    // Without a region MinIO's events carry `awsRegion: ""`; S3 sends the bucket's region.
    MINIO_SITE_REGION: 'us-east-1',
    MINIO_UPDATE: 'off',
    // Hold S3 calls until bucket notifications are loaded. Otherwise, for a moment after start,
    // PutBucketNotificationConfiguration fails ("destination ARN does not exist") and uploads
    // raise no event at all, not even a queued one.
    MINIO_SYNC_BOOT: 'on',
  };
  if (webhook !== undefined) {
    // MinIO requires an absolute queue_dir.
    const queueDir = resolve(webhook.queueDir);
    await mkdir(queueDir, { recursive: true });
    const id = MINIO_WEBHOOK_TARGET_ID;
    env[`MINIO_NOTIFY_WEBHOOK_ENABLE_${id}`] = 'on';
    env[`MINIO_NOTIFY_WEBHOOK_ENDPOINT_${id}`] = webhook.endpoint;
    env[`MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_${id}`] = queueDir;
    env[`MINIO_NOTIFY_WEBHOOK_ENABLE_${id}NOW`] = 'on';
    env[`MINIO_NOTIFY_WEBHOOK_ENDPOINT_${id}NOW`] = webhook.endpoint;
  }
  return env;
}

type WatchedProcess = {
  pid: number;
  exited: Promise<MinioExit>;
  hasExited(): boolean;
  recentOutput(): string;
  stop(): Promise<void>;
};

function watchProcess(child: ChildProcess, onLog?: (line: string) => void): WatchedProcess {
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > RECENT_LINES) recent.shift();
      onLog?.(line);
    });
  }

  const killNow = () => child.kill('SIGKILL');
  process.on('exit', killNow);
  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid);

  let exitedFlag = false;
  const exited = new Promise<MinioExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // spawn failures (ENOENT, EACCES) emit 'error' and no 'exit'.
    child.once('error', (error) => {
      recent.push(`failed to start: ${error.message}`);
      resolve({ code: null, signal: null });
    });
  }).then((exit) => {
    exitedFlag = true;
    process.off('exit', killNow);
    watchdog?.kill('SIGKILL');
    return exit;
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const grace = new AbortController();
      const gone = await Promise.race([
        exited.then(() => true),
        sleep(STOP_GRACE_MS, false, { signal: grace.signal }).catch(() => false),
      ]);
      grace.abort();
      if (!gone) {
        child.kill('SIGKILL');
        await exited;
      }
    })());

  return {
    pid: child.pid ?? -1,
    exited,
    hasExited: () => exitedFlag,
    recentOutput: () => recent.join('\n'),
    stop,
  };
}

/**
 * For the deaths that run no exit handler (SIGKILL, a native crash): a detached shell reads a
 * pipe that only this process holds open; when the kernel closes it, MinIO is stopped.
 */
function startWatchdog(minioPid: number): ChildProcess {
  const script =
    'read -r _; kill -TERM "$1" 2>/dev/null || exit 0; sleep 5; kill -KILL "$1" 2>/dev/null';
  const watchdog = spawn('sh', ['-c', script, 'fanout-minio-watchdog', String(minioPid)], {
    detached: true, // a Ctrl-C to our process group must not take it down first
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => {}); // without `sh`, only the exit handler is left
  watchdog.unref();
  if (watchdog.stdin instanceof Socket) watchdog.stdin.unref();
  return watchdog;
}

async function waitUntilReady(
  endpoint: string,
  minio: WatchedProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!minio.hasExited()) {
    if (Date.now() > deadline) {
      const output = minio.recentOutput();
      throw new Error(`MinIO at ${endpoint} not ready after ${timeoutMs} ms:\n${output}`);
    }
    if (await isServing(endpoint)) return;
    await Promise.race([minio.exited, sleep(100)]);
  }
  const output = minio.recentOutput();
  if (/port is already in use|address already in use/i.test(output)) {
    throw new PortTakenError(`MinIO could not bind its port:\n${output}`);
  }
  throw new Error(`MinIO exited before it was ready:\n${output}`);
}

/**
 * /minio/health/ready answers 200 before the object layer exists, and S3 calls then fail with
 * 503 or (MINIO_SYNC_BOOT) wait. An anonymous ListBuckets answers 403 once MinIO truly serves.
 */
async function isServing(endpoint: string): Promise<boolean> {
  try {
    const health = await fetch(`${endpoint}/minio/health/ready`, {
      signal: AbortSignal.timeout(1_000),
    });
    await health.body?.cancel();
    if (!health.ok) return false;
    const s3 = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
    await s3.body?.cancel();
    return s3.status < 500;
  } catch {
    return false; // not listening yet, or still frozen
  }
}
