/**
 * The S3 binding of the storage port against both local servers: files go up streamed (an hour
 * of 1080p is past Node's 2 GiB buffer limit), in parts once they pass one part's size, and come
 * back byte for byte.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedS3 } from '../../infra/local/storage/embedded-s3.ts';
import { startMinio } from '../../infra/local/storage/minio-server.ts';
import type { StorageHost } from '../../infra/local/storage/storage-host.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { expectRejected } from '../support/rejection-of.ts';
import { s3ClientFor } from '../support/storage-client.ts';

const BUCKET = 'renditions';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

// MinIO writes S3's multipart ETag ("digest-parts"); s3rver does not, so there only the bytes are
// checked. s3rver ignores conditional requests (If-Match, If-None-Match): the store checks ETags
// on the response itself, and a conditional put is a plain put there.
describe.each([
  ['MinIO', (dataDir: string) => startMinio({ dataDir }), true, true],
  ['the embedded S3 server', (dataDir: string) => startEmbeddedS3({ dataDir, onObjectCreated: () => {} }), false, false],
] as const)('s3ObjectStore on %s', (_, start, multipartEtags, conditionalWrites) => {
  let workDir: string;
  let host: StorageHost & { stop(): Promise<void> };
  let s3: S3Client;
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'fanout-s3-store-'));
    host = await start(join(workDir, 'data'));
    s3 = s3ClientFor(host);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  afterAll(async () => {
    s3?.destroy();
    await host?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it.each([
    ['one PUT', 100_000, false],
    ['parts', 20 * 1024 * 1024 + 123, true],
  ])('uploads a file that takes %s and downloads it unchanged', async (_, bytes, multipart) => {
    const body = randomBytes(bytes);
    const source = join(workDir, `up-${bytes}.bin`);
    const target = join(workDir, `down-${bytes}.bin`);
    await writeFile(source, body);
    const store = s3ObjectStore(s3);
    const ref = { bucket: BUCKET, key: `job/${bytes}.mp4` };

    expect(await store.uploadFile(ref, source, 'video/mp4')).toEqual({ bytes });
    await store.download(ref, target);

    expect(sha256(await readFile(target))).toBe(sha256(body));
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: ref.key }));
    expect(head.ContentType).toBe('video/mp4');
    // A multipart upload's ETag is the parts' digest with their count: "…-3".
    if (multipartEtags) expect(/-\d+"?$/.test(head.ETag ?? '')).toBe(multipart);
  });

  it('gives up a download when its signal aborts, with the signal\'s reason rather than a storage error', async () => {
    const source = join(workDir, 'to-abort.bin');
    await writeFile(source, randomBytes(1024));
    const store = s3ObjectStore(s3);
    await store.uploadFile({ bucket: BUCKET, key: 'to-abort.bin' }, source, 'application/octet-stream');
    const reason = new Error('out of time');
    await expect(store.download({ bucket: BUCKET, key: 'to-abort.bin' }, join(workDir, 'aborted.bin'), AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it('reads an object only while it still has the ETag it is asked for, and refuses the replaced one as SOURCE_NOT_FOUND', async () => {
    const store = s3ObjectStore(s3);
    const source = join(workDir, 'versions.bin');
    await writeFile(source, 'first');
    await store.uploadFile({ bucket: BUCKET, key: 'replaced.txt' }, source, 'text/plain');
    const first = (await store.head({ bucket: BUCKET, key: 'replaced.txt' }))!.etag!;
    expect(Buffer.from(await store.readStart({ bucket: BUCKET, key: 'replaced.txt', ifEtag: first }, 100)).toString()).toBe('first');

    await writeFile(source, 'second, replacing it');
    await store.uploadFile({ bucket: BUCKET, key: 'replaced.txt' }, source, 'text/plain');

    await expectRejected(store.download({ bucket: BUCKET, key: 'replaced.txt', ifEtag: first }, join(workDir, 'stale.bin')), 'SOURCE_NOT_FOUND');
    await expectRejected(store.readStart({ bucket: BUCKET, key: 'replaced.txt', ifEtag: first }, 100), 'SOURCE_NOT_FOUND');
  });

  it.runIf(conditionalWrites)('writes JSON only where nothing is, when asked: the first manifest stands', async () => {
    const store = s3ObjectStore(s3);
    const ref = { bucket: BUCKET, key: 'job/manifest.json' };
    expect(await store.putJson(ref, { status: 'failed' }, { ifAbsent: true })).toBe('written');
    expect(await store.putJson(ref, { status: 'succeeded' }, { ifAbsent: true })).toBe('exists');
    expect(await store.getJson(ref)).toEqual({ status: 'failed' });
  });
});
