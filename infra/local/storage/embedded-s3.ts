import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';
import type { StorageHost } from './storage-host.ts';

export type StartEmbeddedS3Options = {
  dataDir: string;
  /** Port on 127.0.0.1; a free one when left out. */
  port?: number;
  /**
   * Gets an S3 event notification (`{ Records: [...] }`, key URL-encoded as S3 does) for each
   * object created. Called synchronously inside the upload request: hand the event over and
   * return. Not durable: an event is lost if this process dies first.
   */
  onObjectCreated: (event: unknown) => void;
  /** Gets what onObjectCreated threw; by default it becomes a process warning. */
  onError?: (error: unknown) => void;
};

/**
 * An in-process S3 server (s3rver) for when no MinIO binary is at hand. Its credentials are
 * fixed (S3RVER/S3RVER) and it takes path-style requests only. Clients must be created with
 * `requestChecksumCalculation: 'WHEN_REQUIRED'`: by default the SDK sends a streamed body
 * aws-chunked with a checksum trailer, and s3rver stores that framing as the object's bytes.
 */
export async function startEmbeddedS3(options: StartEmbeddedS3Options): Promise<StorageHost> {
  await mkdir(options.dataDir, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory: options.dataDir,
    silent: true,
    vhostBuckets: false,
  });

  // s3rver names both a browser POST upload and a completed multipart upload
  // 'ObjectCreated:Post'; which request raised an event tells them apart.
  const completingMultipart = new AsyncLocalStorage<boolean>();
  server.middleware.unshift((ctx, next) =>
    completingMultipart.run(ctx.method === 'POST' && 'uploadId' in ctx.query, next),
  );
  // Last in the stack is s3rver's router; in front of it, ctx.body is still an object.
  server.middleware.splice(server.middleware.length - 1, 0, listObjectsV2ThroughV1);
  const onError =
    options.onError ??
    ((error: unknown) => process.emitWarning(`onObjectCreated threw: ${String(error)}`));
  server.on('event', (event) => {
    const notification = toS3Notification(event, completingMultipart.getStore() === true);
    if (notification === undefined) return;
    try {
      options.onObjectCreated(notification);
    } catch (error) {
      onError(error); // a throw here would fail the client's upload
    }
  });

  makePutsAtomic(server.store);
  const { port } = await server.run();
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    region: 'us-east-1',
    stop: () => (stopping ??= server.close()),
  };
}

/**
 * s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) lacks:
 * every truncated V2 listing fails with InternalError. So V2 listings are served by s3rver's V1
 * listing (`marker` = where to start) and the token is made here: the base64url of that start.
 */
async function listObjectsV2ThroughV1(
  ctx: S3rver.Context,
  next: () => Promise<void>,
): Promise<void> {
  const {
    'list-type': listType,
    'continuation-token': token,
    'start-after': startAfter,
    'fetch-owner': fetchOwner,
    ...query
  } = ctx.query;
  if (ctx.method !== 'GET' || listType !== '2' || !/^\/[^/]+\/?$/.test(ctx.path)) return next();
  const marker =
    typeof token === 'string' ? Buffer.from(token, 'base64url').toString('utf8') : startAfter;
  ctx.query = typeof marker === 'string' && marker !== '' ? { ...query, marker } : query;

  await next();

  if (!isRecord(ctx.body) || !isRecord(ctx.body.ListBucketResult)) return; // an error reply
  const { Marker, NextMarker, Contents, CommonPrefixes, IsTruncated, ...result } =
    ctx.body.ListBucketResult;
  const contents = asRecords(Contents).map(({ Owner, ...object }) =>
    fetchOwner === 'true' ? { ...object, Owner } : object,
  );
  const prefixes = asRecords(CommonPrefixes);
  const nextStart = IsTruncated === true ? lastListed(contents, prefixes) : undefined;
  ctx.body = {
    ListBucketResult: {
      ...result,
      StartAfter: token === undefined ? startAfter : undefined,
      ContinuationToken: token,
      NextContinuationToken:
        nextStart === undefined ? undefined : Buffer.from(nextStart, 'utf8').toString('base64url'),
      KeyCount: contents.length + prefixes.length,
      IsTruncated,
      Contents: contents,
      CommonPrefixes: prefixes,
    },
  };
}

/** Where the next page starts: after the last key, or after every key under the last prefix. */
function lastListed(
  contents: Record<string, unknown>[],
  prefixes: Record<string, unknown>[],
): string | undefined {
  const lastKey = contents.at(-1)?.Key;
  const lastPrefix = prefixes.at(-1)?.Prefix;
  const candidates = [
    typeof lastKey === 'string' ? lastKey : undefined,
    typeof lastPrefix === 'string' ? `${lastPrefix}\uffff` : undefined,
  ].filter((candidate) => candidate !== undefined);
  return candidates.sort().at(-1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecords(value: unknown): Record<string, unknown>[] {
  return (Array.isArray(value) ? value : [value]).filter(isRecord);
}

/**
 * s3rver's event already has the S3 notification shape; S3 differs in that it URL-encodes the
 * key and names a completed multipart upload 'ObjectCreated:CompleteMultipartUpload'.
 */
function toS3Notification(
  event: S3rver.Event,
  completingMultipart: boolean,
): S3rver.Event | undefined {
  const records = event.Records.filter((record) => record.eventName.startsWith('ObjectCreated:'));
  if (records.length === 0) return undefined;
  return {
    Records: records.map((record) => ({
      ...record,
      eventName:
        completingMultipart && record.eventName === 'ObjectCreated:Post'
          ? 'ObjectCreated:CompleteMultipartUpload'
          : record.eventName,
      s3: {
        ...record.s3,
        object: { ...record.s3.object, key: encodeEventKey(record.s3.object.key) },
      },
    })),
  };
}

/** S3's form encoding of a key in events: `my photo+1.jpg` -> `my+photo%2B1.jpg`; `/` stays. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replaceAll('%20', '+').replaceAll('%2F', '/');
}

/**
 * s3rver answers a PUT (and raises its event) before the object's bytes are on disk, and writes
 * them in place: a reader right after the upload can see half an object. S3 and MinIO make an
 * object visible whole or not at all, so this store does too: write aside, then rename.
 */
function makePutsAtomic(store: S3rver.Store): void {
  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    const partial = `${objectPath}.${randomBytes(6).toString('hex')}.partial`;
    await mkdir(dirname(objectPath), { recursive: true });
    const md5 = createHash('md5');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        md5.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    try {
      await pipeline(source, measure, createWriteStream(partial));
      await rename(partial, objectPath);
    } finally {
      await rm(partial, { force: true });
    }
    const digest = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}
