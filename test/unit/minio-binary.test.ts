import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findGo, installMinio } from '../../infra/local/storage/minio-binary.ts';

let dir: string;
let fakeMinio: string;
let fakeGo: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-minio-binary-'));
  fakeMinio = join(dir, 'minio');
  fakeGo = join(dir, 'go');
  // Each fails loudly if it is ever run: these tests must resolve paths, never build or serve.
  for (const path of [fakeMinio, fakeGo]) {
    await writeFile(path, '#!/bin/sh\necho "must not run" >&2\nexit 99\n');
    await chmod(path, 0o755);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('installMinio (what `fanout setup` runs)', () => {
  it('uses a MinIO the user already has ($MINIO_BIN, then PATH) instead of building one', async () => {
    const cache = { XDG_CACHE_HOME: join(dir, 'empty-cache') };
    expect(await installMinio({ env: { ...cache, PATH: '', MINIO_BIN: fakeMinio } })).toBe(fakeMinio);
    expect(await installMinio({ env: { ...cache, PATH: dir } })).toBe(fakeMinio);
  });
});

describe('findGo', () => {
  it('takes `go` from PATH first', () => {
    expect(findGo({ PATH: dir })).toBe(fakeGo);
  });
});
