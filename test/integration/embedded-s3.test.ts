import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { s3ClientFor } from '../support/storage-client.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedS3 } from '../../infra/local/storage/embedded-s3.ts';
import type { StorageHost } from '../../infra/local/storage/storage-host.ts';

const BUCKET = 'uploads';

describe('embedded S3 (s3rver) with @aws-sdk/client-s3', () => {
  let dataDir: string;
  let host: StorageHost;
  let s3: S3Client;
  let events: unknown[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fanout-embedded-s3-'));
    host = await startEmbeddedS3({ dataDir, onObjectCreated: (event) => events.push(event) });
    s3 = s3ClientFor(host);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(async () => {
    s3?.destroy();
    await host?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    events = [];
  });

  /** Every page of a listing, following the continuation tokens (at most 10 pages). */
  async function listAllPages(params: { Prefix: string; Delimiter?: string; MaxKeys: number }) {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ...params, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      prefixes.push(...(page.CommonPrefixes ?? []).map((prefix) => prefix.Prefix ?? ''));
      token = page.NextContinuationToken;
      pages++;
    } while (token !== undefined && pages < 10);
    return { keys, prefixes, pages };
  }

  it('emits an S3 notification with the key URL-encoded for PutObject', async () => {
    const body = Buffer.from('hello, fanout');

    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'my photo+1.jpg', Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ünï/çødé.png', Body: body }));

    const md5 = createHash('md5').update(body).digest('hex');
    expect(events).toEqual([
      {
        Records: [
          expect.objectContaining({
            eventName: 'ObjectCreated:Put',
            s3: expect.objectContaining({
              bucket: expect.objectContaining({ name: BUCKET }),
              object: {
                key: 'my+photo%2B1.jpg',
                size: body.length,
                eTag: md5,
                sequencer: expect.stringMatching(/^[0-9A-F]+$/),
              },
            }),
          }),
        ],
      },
      {
        Records: [
          expect.objectContaining({
            eventName: 'ObjectCreated:Put',
            s3: expect.objectContaining({
              object: expect.objectContaining({ key: '%C3%BCn%C3%AF/%C3%A7%C3%B8d%C3%A9.png' }),
            }),
          }),
        ],
      },
    ]);
  });

  it('makes an object visible whole: a reader during an overwrite sees the old bytes or the new, never a part', async () => {
    const before = Buffer.from('the old object');
    const after = randomBytes(16 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'whole.bin', Body: before }));

    let writing = true;
    const overwrite = s3
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'whole.bin', Body: Readable.from([after.subarray(0, 8 << 20), after.subarray(8 << 20)]), ContentLength: after.length }))
      .finally(() => (writing = false));
    const lengthsSeen = new Set<number>();
    while (writing) {
      const read = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'whole.bin' }));
      lengthsSeen.add((await read.Body!.transformToByteArray()).length);
    }
    await overwrite;
    expect([...lengthsSeen].every((length) => length === before.length || length === after.length)).toBe(true);
  });

  it('serves byte ranges, heads and listings', async () => {
    const key = 'range test/ünï.bin';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '0123456789' }));

    const ranged = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=2-5' }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const firstPage = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'range test/', MaxKeys: 1 }),
    );

    expect(await ranged.Body?.transformToString()).toBe('2345');
    expect(ranged.ContentRange).toBe('bytes 2-5/10');
    expect(head.ContentLength).toBe(10);
    expect(head.ETag).toBe(`"${createHash('md5').update('0123456789').digest('hex')}"`);
    expect(firstPage.Contents?.map((object) => object.Key)).toEqual([key]);
    expect(firstPage.KeyCount).toBe(1);
  });

  it('pages ListObjectsV2 with continuation tokens', async () => {
    const keys = ['list/a b.txt', 'list/b+c.txt', 'list/çd.txt'];
    for (const key of keys) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    }

    const { keys: listed, pages } = await listAllPages({ Prefix: 'list/', MaxKeys: 2 });

    expect(listed).toEqual(keys);
    expect(pages).toBe(2);
  });

  it('pages ListObjectsV2 with a delimiter, each key and prefix once', async () => {
    for (const key of ['tree/a/1', 'tree/a/2', 'tree/b/1', 'tree/c.txt', 'tree/d é.txt']) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    }

    const { keys, prefixes, pages } = await listAllPages({ Prefix: 'tree/', Delimiter: '/', MaxKeys: 1 });

    // s3rver does not count common prefixes against MaxKeys (S3 does): pages differ, not content.
    expect(keys).toEqual(['tree/c.txt', 'tree/d é.txt']);
    expect(prefixes).toEqual(['tree/a/', 'tree/b/']);
    expect(pages).toBe(2);
  });

  it('stores a streamed body as sent (no aws-chunked framing)', async () => {
    // With the SDK's default checksum settings a stream is sent aws-chunked with a CRC32
    // trailer, and s3rver stores the framing ("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:…").
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'stream/a b.txt',
        Body: Readable.from([Buffer.from('hello '), Buffer.from('stream')]),
        ContentLength: 12,
      }),
    );
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'stream/a b.txt' }));

    expect(await stored.Body?.transformToString()).toBe('hello stream');
  });

  it('copies objects and emits ObjectCreated:Copy', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'copy src é.txt', Body: 'copied' }));
    events = [];

    await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'copy dst/ü 1.txt',
        // CopySource is "<bucket>/<key>", URL-encoded by the caller.
        CopySource: `${BUCKET}/${encodeURIComponent('copy src é.txt')}`,
      }),
    );
    const copy = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'copy dst/ü 1.txt' }));

    expect(await copy.Body?.transformToString()).toBe('copied');
    expect(events).toEqual([
      {
        Records: [
          expect.objectContaining({
            eventName: 'ObjectCreated:Copy',
            s3: expect.objectContaining({
              object: expect.objectContaining({ key: 'copy+dst/%C3%BC+1.txt', size: 6 }),
            }),
          }),
        ],
      },
    ]);
  });

  it('deletes several objects at once without emitting events', async () => {
    const keys = ['delete/a b.txt', 'delete/ü.txt'];
    for (const key of keys) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    }
    events = [];

    const deleted = await s3.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: keys.map((Key) => ({ Key })) },
      }),
    );
    const after = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'delete/' }));

    expect(deleted.Errors ?? []).toEqual([]);
    expect(deleted.Deleted?.map((object) => object.Key).sort()).toEqual([...keys].sort());
    expect(after.KeyCount).toBe(0);
    expect(events).toEqual([]);
  });

  it('takes a multipart upload through lib-storage and emits CompleteMultipartUpload', async () => {
    const key = 'videos/big clip ü.mp4';
    const body = randomBytes(11 * 1024 * 1024);
    const parts = new Set<number>();

    const upload = new Upload({
      client: s3,
      params: { Bucket: BUCKET, Key: key, Body: body },
      partSize: 5 * 1024 * 1024,
    });
    upload.on('httpUploadProgress', (progress) => {
      if (progress.part !== undefined) parts.add(progress.part);
    });
    await upload.done();
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));

    expect(parts.size).toBe(3);
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(events).toEqual([
      {
        Records: [
          expect.objectContaining({
            eventName: 'ObjectCreated:CompleteMultipartUpload',
            s3: expect.objectContaining({
              object: expect.objectContaining({
                key: 'videos/big+clip+%C3%BC.mp4',
                size: body.length,
              }),
            }),
          }),
        ],
      },
    ]);
  });
});
