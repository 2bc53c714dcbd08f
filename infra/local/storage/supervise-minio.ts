/**
 * Keeps the MinIO the stack started running: when its process dies (a crash, the OOM killer, a
 * stray `kill`), it is started again on the same port, data dir and credentials, so clients,
 * workers and the saved connection keep working and every object is still there. Restarts are
 * bounded (a MinIO that keeps dying is left down, and says why) and back off.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MinioExit, MinioHost, StartMinioOptions } from './minio-server.ts';
import type { StorageHost } from './storage-host.ts';

export type SupervisedMinio = StorageHost & {
  consoleEndpoint: string;
  /** The current process id (it changes at each restart). */
  pid(): number;
};

export type SuperviseMinioOptions = {
  /** Starts one MinIO process with these options; the supervisor pins its port and console port. */
  start: (options: Pick<StartMinioOptions, 'port' | 'consolePort'>) => Promise<MinioHost>;
  port?: number;
  consolePort?: number;
  log: (line: string) => void;
  /** At most this many restarts in `windowMs`; then MinIO is left down. */
  maxRestarts?: number;
  windowMs?: number;
  /** First delay before a restart; doubles with each restart in the window, up to 8 s. */
  backoffMs?: number;
};

export async function superviseMinio(options: SuperviseMinioOptions): Promise<SupervisedMinio> {
  const { log, maxRestarts = 5, windowMs = 60_000, backoffMs = 250 } = options;
  let current = await options.start({ port: options.port, consolePort: options.consolePort });
  const pinned = { port: Number(new URL(current.endpoint).port), consolePort: Number(new URL(current.consoleEndpoint).port) };
  const address = new URL(current.endpoint).host;
  const stopping = new AbortController();
  const restarts: number[] = [];

  const watch = async (): Promise<void> => {
    for (;;) {
      const exit = await current.exited;
      // Any exit we did not ask for is restarted: the pinned MinIO exits 0 on a plain SIGTERM too.
      if (stopping.signal.aborted) return;
      const now = Date.now();
      while (restarts.length > 0 && restarts[0]! < now - windowMs) restarts.shift();
      if (restarts.length >= maxRestarts) {
        log(`storage: MinIO exited (${describeExit(exit)}), the ${restarts.length + 1}th time within ${windowMs / 1000} s; not restarting it`);
        return;
      }
      restarts.push(now);
      await sleep(Math.min(backoffMs * 2 ** (restarts.length - 1), 8_000), undefined, { signal: stopping.signal }).catch(() => {});
      if (stopping.signal.aborted) return;
      try {
        current = await options.start(pinned);
      } catch (error) {
        // Left as it is, the dead host's `exited` resolves at once and the next turn backs off.
        log(`storage: MinIO exited (${describeExit(exit)}) and could not be restarted on ${address}: ${String(error)}`);
        continue;
      }
      if (stopping.signal.aborted) return current.stop(); // stop() came while it started
      log(`storage: MinIO exited (${describeExit(exit)}); restarted on ${address}`);
    }
  };
  const watching = watch();

  return {
    endpoint: current.endpoint,
    consoleEndpoint: current.consoleEndpoint,
    credentials: current.credentials,
    region: current.region,
    pid: () => current.pid,
    async stop() {
      stopping.abort();
      await current.stop();
      await watching;
    },
  };
}

function describeExit(exit: MinioExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
}
