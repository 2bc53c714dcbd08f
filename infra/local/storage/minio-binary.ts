import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** The MinIO server the project pins; MinIO ships as Go source only, built with `go install`. */
export const MINIO_MODULE_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
const MINIO_MODULE = 'github.com/minio/minio';

type Env = Readonly<Record<string, string | undefined>>;

/** Where `installMinio` puts the pinned build: `$XDG_CACHE_HOME/fanout/minio-<version>/minio`. */
export function minioCachePath(env: Env = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'fanout', `minio-${MINIO_MODULE_VERSION}`, 'minio');
}

/**
 * The MinIO binary to run, or undefined when there is none: `$MINIO_BIN`, then `minio` on PATH,
 * then the cached pinned build. A `$MINIO_BIN` that is not an executable file is an error, not
 * a reason to look elsewhere.
 */
export function findMinio(env: Env = process.env): string | undefined {
  if (env.MINIO_BIN) {
    if (!isExecutableFile(env.MINIO_BIN)) {
      throw new Error(`MINIO_BIN=${env.MINIO_BIN} is not an executable file`);
    }
    return env.MINIO_BIN;
  }
  const cached = minioCachePath(env);
  return onPath('minio', env) ?? (isExecutableFile(cached) ? cached : undefined);
}

/** Where Go's official tarball installs it; often not on a user's PATH. */
const GO_INSTALL_DIR_BIN = '/usr/local/go/bin/go';

/** The Go toolchain: `go` on PATH, else Go's default install location. */
export function findGo(env: Env = process.env): string | undefined {
  return onPath('go', env) ?? (isExecutableFile(GO_INSTALL_DIR_BIN) ? GO_INSTALL_DIR_BIN : undefined);
}

function onPath(name: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A MinIO to run: the one findMinio finds ($MINIO_BIN, PATH, the cache), or else the pinned
 * version built into the cache with `go install` (a few minutes, pure Go, no cgo).
 */
export async function installMinio(
  options: { onLog?: (line: string) => void; env?: Env } = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const found = findMinio(env);
  if (found) return found;
  const target = minioCachePath(env);
  const go = findGo(env);
  if (!go) {
    throw new Error(
      `cannot build MinIO: no Go toolchain on PATH or at ${GO_INSTALL_DIR_BIN}. Install Go 1.24 or newer ` +
        '(https://go.dev/dl/), or point MINIO_BIN at a MinIO server binary.',
    );
  }
  await mkdir(dirname(target), { recursive: true });

  const tail: string[] = [];
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(go, ['install', `${MINIO_MODULE}@${MINIO_MODULE_VERSION}`], {
      env: { ...env, GOBIN: dirname(target), CGO_ENABLED: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.once('error', reject);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onLog?.(line);
      });
    }
    child.once('close', resolve);
  });
  if (exitCode !== 0) {
    const command = `go install ${MINIO_MODULE}@${MINIO_MODULE_VERSION}`;
    throw new Error(`${command} failed (exit ${exitCode}):\n${tail.join('\n')}`);
  }
  await access(target, constants.X_OK);
  return target;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
