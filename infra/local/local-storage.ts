/**
 * The local stack's storage and its upload trigger: our own MinIO with a durable webhook, a
 * MinIO that already runs (MINIO_ENDPOINT), or the embedded S3 server.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { listenForUploads } from './listen-for-uploads.ts';
import { enableUploadNotifications } from './storage/bucket-notifications.ts';
import { startEmbeddedS3 } from './storage/embedded-s3.ts';
import { findMinio } from './storage/minio-binary.ts';
import { MINIO_IMMEDIATE_WEBHOOK_QUEUE_ARN, MINIO_WEBHOOK_QUEUE_ARN, startMinio } from './storage/minio-server.ts';
import type { StorageHost } from './storage/storage-host.ts';
import { startWebhookReceiver } from './storage/webhook-receiver.ts';

export type StorageChoice = 'auto' | 'minio' | 'embedded';
export type StorageKind = 'minio' | 'external-minio' | 'embedded';

export const MINIO_MISSING =
  '--storage minio: no MinIO binary found. Run `npx fanout setup` (builds the pinned MinIO with Go), put `minio` on PATH, or set MINIO_ENDPOINT.';

export interface LocalStorageOptions {
  stateDir: string;
  choice: StorageChoice;
  externalMinio?: { endpoint: string; accessKeyId: string; secretAccessKey: string } | undefined;
  inputBucket: string;
  /** Gets each upload event; must return at once (the delivery runs on its own). */
  onUpload: (event: unknown) => void;
  log: (line: string) => void;
}

export type LocalStorage = Omit<StorageHost, 'region'> & {
  kind: StorageKind;
  /** Wires the upload trigger once the buckets exist. */
  afterBuckets?: (s3: S3Client) => Promise<void>;
};

export async function startLocalStorage(options: LocalStorageOptions): Promise<LocalStorage> {
  const { choice, log, inputBucket, onUpload: handOver } = options;
  if (options.externalMinio && choice !== 'embedded') {
    const { endpoint, accessKeyId, secretAccessKey } = options.externalMinio;
    // Not durable across downtime on its own (the server's notification config is not ours to
    // change); the reconcile pass at start picks up what arrived meanwhile.
    const listener = await listenForUploads({ endpoint, accessKeyId, secretAccessKey, bucket: inputBucket, onEvent: handOver, onError: (error) => log(`listen: ${String(error)}`) });
    return { kind: 'external-minio', endpoint, credentials: { accessKeyId, secretAccessKey }, stop: listener.stop };
  }

  const minioBinary = choice === 'embedded' ? undefined : findMinio();
  if (choice === 'minio' && !minioBinary) throw new Error(MINIO_MISSING);
  if (!minioBinary) {
    if (choice === 'auto') log('no MinIO binary found (run `npx fanout setup` to build one): using the embedded S3 server');
    // s3rver raises events for every bucket; S3 and MinIO notify only for the input bucket, so
    // must this (a rendition written must never start a job).
    const embedded = await startEmbeddedS3({
      dataDir: join(options.stateDir, 'embedded-s3'),
      onObjectCreated: (event) => {
        if (isEventForBucket(event, inputBucket)) handOver(event);
      },
    });
    return { kind: 'embedded', ...embedded };
  }

  // MinIO keeps events in queue_dir while the receiver is down and replays them when it is back;
  // an unqueued second target delivers the same event at once (the queued sender ticks every 3 s),
  // and the splitter's duplicate check absorbs the pair. The receiver acknowledges at once (MinIO
  // sends one queued event at a time) and the reconcile pass covers an event acknowledged just
  // before the host stopped.
  const receiver = await startWebhookReceiver({ onEvent: async (event) => handOver(event) });
  const minio = await startMinio({
    binary: minioBinary,
    credentials: await persistentCredentials(join(options.stateDir, 'minio-credentials.json')),
    dataDir: join(options.stateDir, 'minio-data'),
    webhook: { endpoint: receiver.endpoint, queueDir: join(options.stateDir, 'minio-events') },
  });
  return {
    kind: 'minio',
    endpoint: minio.endpoint,
    credentials: minio.credentials,
    stop: async () => {
      await minio.stop();
      await receiver.stop();
    },
    afterBuckets: (s3) => enableUploadNotifications(s3, inputBucket, [MINIO_IMMEDIATE_WEBHOOK_QUEUE_ARN, MINIO_WEBHOOK_QUEUE_ARN]),
  };
}

function isEventForBucket(event: unknown, bucket: string): boolean {
  const records = (event as { Records?: Array<{ s3?: { bucket?: { name?: string } } }> }).Records ?? [];
  return records.length > 0 && records.every((record) => record.s3?.bucket?.name === bucket);
}

/** The same MinIO credentials on every start from one state dir, so a user's S3 client settings keep working. */
async function persistentCredentials(file: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  } catch {
    const credentials = { accessKeyId: `fanout-${randomBytes(4).toString('hex')}`, secretAccessKey: randomBytes(24).toString('base64url') };
    await writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
    return credentials;
  }
}
