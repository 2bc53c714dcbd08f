/**
 * The local stack's storage and its upload trigger: our own MinIO (supervised) with a durable
 * webhook, a MinIO that already runs (MINIO_ENDPOINT) with a queued webhook target set through
 * its admin API, or the embedded S3 server; and, for a store that cannot notify, polling.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import pRetry from 'p-retry';
import { enableUploadNotifications } from './storage/bucket-notifications.ts';
import { startEmbeddedS3 } from './storage/embedded-s3.ts';
import { configureWebhookTarget, EXTERNAL_WEBHOOK_QUEUE_ARN, EXTERNAL_WEBHOOK_TARGET } from './storage/external-minio-events.ts';
import { minioAdmin } from './storage/minio-admin.ts';
import { findMinio } from './storage/minio-binary.ts';
import { MINIO_IMMEDIATE_WEBHOOK_QUEUE_ARN, MINIO_WEBHOOK_QUEUE_ARN, startMinio } from './storage/minio-server.ts';
import { DEFAULT_PORTS, pickPort, type StablePorts } from './storage/pick-port.ts';
import { DEFAULT_POLL_INTERVAL_MS, pollUploads, type UploadPoller } from './storage/poll-uploads.ts';
import type { StorageHost } from './storage/storage-host.ts';
import { superviseMinio } from './storage/supervise-minio.ts';
import { startWebhookReceiver, type WebhookReceiver } from './storage/webhook-receiver.ts';

export type StorageChoice = 'auto' | 'minio' | 'embedded';
export type StorageKind = 'minio' | 'external-minio' | 'embedded';
/** `auto`: the store's own events (polling where they cannot be set up); `poll`: always poll. */
export type TriggerChoice = 'auto' | 'poll';

export const MINIO_MISSING =
  '--storage minio: no MinIO binary found. Run `npx fanout setup` (builds the pinned MinIO with Go), put `minio` on PATH, or set MINIO_ENDPOINT.';

export interface LocalStorageOptions {
  stateDir: string;
  choice: StorageChoice;
  externalMinio?: { endpoint: string; accessKeyId: string; secretAccessKey: string } | undefined;
  inputBucket: string;
  /** Gets each upload event; must return at once (the delivery runs on its own). */
  onUpload: (event: unknown) => void;
  trigger?: TriggerChoice;
  pollIntervalMs?: number;
  /** Preferred ports (`fanout dev`), a free one named in the log where one is taken; free ports when left out. */
  ports?: StablePorts;
  log: (line: string) => void;
}

export type LocalStorage = Omit<StorageHost, 'region'> & {
  kind: StorageKind;
  /** Wires the upload trigger once the buckets exist. */
  afterBuckets?: (s3: S3Client) => Promise<void>;
};

export async function startLocalStorage(options: LocalStorageOptions): Promise<LocalStorage> {
  if (options.externalMinio && options.choice !== 'embedded') return startExternalMinio(options, options.externalMinio);
  const minioBinary = options.choice === 'embedded' ? undefined : findMinio();
  if (options.choice === 'minio' && !minioBinary) throw new Error(MINIO_MISSING);
  if (!minioBinary) {
    if (options.choice === 'auto') options.log('no MinIO binary found (run `npx fanout setup` to build one): using the embedded S3 server');
    return startEmbedded(options);
  }
  return startOwnMinio(options, minioBinary);
}

async function startEmbedded(options: LocalStorageOptions): Promise<LocalStorage> {
  const { inputBucket, onUpload: handOver } = options;
  const polling = options.trigger === 'poll' ? pollingTrigger(options, 'the trigger is poll') : undefined;
  // s3rver raises events for every bucket; S3 and MinIO notify only for the input bucket, so
  // must this (a rendition written must never start a job).
  const embedded = await startEmbeddedS3({
    dataDir: join(options.stateDir, 'embedded-s3'),
    port: await preferredPort(options, 'storage'),
    onObjectCreated: (event) => {
      if (!polling && isEventForBucket(event, inputBucket)) handOver(event);
    },
  });
  return { kind: 'embedded', ...embedded, ...polling, stop: () => Promise.all([polling?.stop(), embedded.stop()]).then(() => {}) };
}

async function startOwnMinio(options: LocalStorageOptions, binary: string): Promise<LocalStorage> {
  const { stateDir, inputBucket, log } = options;
  const polling = options.trigger === 'poll' ? pollingTrigger(options, 'the trigger is poll') : undefined;
  // MinIO keeps events in queue_dir while the receiver is down and replays them when it is back;
  // an unqueued second target delivers the same event at once (the queued sender ticks every 3 s),
  // and the splitter's duplicate check absorbs the pair. The receiver acknowledges at once (MinIO
  // sends one queued event at a time) and the reconcile pass covers an event acknowledged just
  // before the host stopped.
  const receiver = polling ? undefined : await startReceiver(options);
  const credentials = await persistentCredentials(join(stateDir, 'minio-credentials.json'));
  const start = (ports: { port?: number; consolePort?: number }) =>
    startMinio({
      binary,
      credentials,
      dataDir: join(stateDir, 'minio-data'),
      webhook: receiver && { endpoint: receiver.endpoint, queueDir: join(stateDir, 'minio-events') },
      ...ports,
    });
  try {
    const minio = await superviseMinio({ start, port: await preferredPort(options, 'storage'), consolePort: await preferredPort(options, 'console'), log });
    return {
      kind: 'minio',
      endpoint: minio.endpoint,
      credentials: minio.credentials,
      stop: async () => {
        await polling?.stop();
        await minio.stop();
        await receiver?.stop();
      },
      afterBuckets: polling?.afterBuckets ?? ((s3) => enableUploadNotifications(s3, inputBucket, [MINIO_IMMEDIATE_WEBHOOK_QUEUE_ARN, MINIO_WEBHOOK_QUEUE_ARN])),
    };
  } catch (error) {
    await receiver?.stop();
    throw error;
  }
}

async function startExternalMinio(options: LocalStorageOptions, external: NonNullable<LocalStorageOptions['externalMinio']>): Promise<LocalStorage> {
  const { inputBucket, log } = options;
  const { endpoint, accessKeyId, secretAccessKey } = external;
  const credentials = { accessKeyId, secretAccessKey };
  if (options.trigger === 'poll') return { kind: 'external-minio', endpoint, credentials, ...pollingTrigger(options, 'the trigger is poll') };

  // Its endpoint is written into that server's config, and a change costs the server a restart:
  // the fixed port even where the stack's other ports are free ones (`fanout process`).
  const receiver = await startReceiver({ ...options, ports: { events: DEFAULT_PORTS.events, ...options.ports } });
  let failure: string | undefined;
  try {
    // MinIO requires an absolute queue_dir; on this machine, the server writes it.
    const queueDir = resolve(options.stateDir, 'minio-events-external');
    await mkdir(queueDir, { recursive: true });
    await configureWebhookTarget({ admin: minioAdmin({ endpoint, credentials }), webhookEndpoint: receiver.endpoint, queueDir, log, serverName: `the MinIO at ${endpoint}` });
  } catch (error) {
    failure = `could not set a webhook target on the MinIO at ${endpoint} (${messageOf(error)})`;
  }
  let fallback: ReturnType<typeof pollingTrigger> | undefined;
  return {
    kind: 'external-minio',
    endpoint,
    credentials,
    stop: async () => {
      await fallback?.stop();
      await receiver.stop();
    },
    async afterBuckets(s3) {
      if (failure === undefined) {
        try {
          // Right after a restart the server may not have loaded its targets yet ("ARN not found").
          await pRetry(() => enableUploadNotifications(s3, inputBucket, [EXTERNAL_WEBHOOK_QUEUE_ARN]), { retries: 8, minTimeout: 250, factor: 1.5 });
          log(`storage: uploads to s3://${inputBucket} arrive as events from ${endpoint} (${EXTERNAL_WEBHOOK_TARGET}, queued while fanout is down)`);
          return;
        } catch (error) {
          failure = `could not send the events of s3://${inputBucket} to ${EXTERNAL_WEBHOOK_TARGET} (${messageOf(error)})`;
        }
      }
      await receiver.stop();
      fallback = pollingTrigger(options, failure);
      await fallback.afterBuckets(s3);
    },
  };
}

/** The trigger for a store that cannot notify: starts polling once the buckets exist. */
function pollingTrigger(options: LocalStorageOptions, reason: string): { afterBuckets(s3: S3Client): Promise<void>; stop(): Promise<void> } {
  const intervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  let poller: UploadPoller | undefined;
  return {
    async afterBuckets(s3) {
      options.log(`storage: ${reason}; polling s3://${options.inputBucket} every ${intervalMs / 1000} s`);
      poller = pollUploads({ s3, bucket: options.inputBucket, intervalMs, onUpload: options.onUpload, onError: (error) => options.log(`poll: ${messageOf(error)}`) });
      await poller.ready;
    },
    stop: async () => poller?.stop(),
  };
}

async function startReceiver(options: LocalStorageOptions): Promise<WebhookReceiver> {
  return startWebhookReceiver({ port: await preferredPort(options, 'events'), onEvent: async (event) => options.onUpload(event) });
}

async function preferredPort(options: LocalStorageOptions, name: keyof StablePorts): Promise<number | undefined> {
  const preferred = options.ports?.[name];
  return preferred === undefined ? undefined : pickPort({ preferred, name: name === 'storage' ? 'storage' : `storage ${name}`, log: options.log });
}

function isEventForBucket(event: unknown, bucket: string): boolean {
  const records = (event as { Records?: Array<{ s3?: { bucket?: { name?: string } } }> }).Records ?? [];
  return records.length > 0 && records.every((record) => record.s3?.bucket?.name === bucket);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
