import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientFor } from '../support/storage-client.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { enableUploadNotifications } from '../../infra/local/storage/bucket-notifications.ts';
import { minioCachePath } from '../../infra/local/storage/minio-binary.ts';
import {
  MINIO_WEBHOOK_QUEUE_ARN,
  startMinio,
  type MinioHost,
} from '../../infra/local/storage/minio-server.ts';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../infra/local/storage/webhook-receiver.ts';

const BUCKET = 'uploads';
// MinIO sends queued events on a 3 s ticker and retries a failed one every 3 s.
const DELIVERY_TIMEOUT_MS = 15_000;

// Only what these tests read; the project's own contract parses the full event.
const minioEvent = z.object({
  EventName: z.string(),
  Key: z.string(),
  Records: z
    .array(
      z.object({
        eventName: z.string(),
        awsRegion: z.string(),
        s3: z.object({
          bucket: z.object({ name: z.string() }),
          object: z.object({ key: z.string(), size: z.number(), eTag: z.string() }),
        }),
      }),
    )
    .length(1),
});
type Delivery = { key: string; event: z.infer<typeof minioEvent>; at: number; accepted: boolean };

describe('MinIO storage host with a durable webhook trigger', () => {
  let root: string;
  let minio: MinioHost;
  let receiver: WebhookReceiver;
  let s3: S3Client;
  let deliveries: Delivery[] = [];
  /** Raw (encoded) keys whose next delivery onEvent rejects. */
  const rejectNext = new Set<string>();

  const onEvent = async (body: unknown): Promise<void> => {
    const event = minioEvent.parse(body);
    const key = event.Records[0]!.s3.object.key;
    const accepted = !rejectNext.delete(key);
    deliveries.push({ key, event, at: Date.now(), accepted });
    if (!accepted) throw new Error(`rejecting ${key} once`);
  };

  const s3For = (host: MinioHost) => s3ClientFor(host);
  const put = (key: string) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `body of ${key}` }));
  const accepted = (key: string) => deliveries.filter((d) => d.key === key && d.accepted);

  beforeAll(async () => {
    const binary = minioCachePath();
    if (!existsSync(binary)) {
      throw new Error(
        `MinIO is not installed at ${binary}: run \`node infra/local/storage/install-minio.ts\``,
      );
    }
    root = await mkdtemp(join(tmpdir(), 'fanout-minio-'));
    receiver = await startWebhookReceiver({ onEvent });
    minio = await startMinio({
      binary,
      dataDir: join(root, 'data'),
      webhook: { endpoint: receiver.endpoint, queueDir: join(root, 'events') },
    });
    s3 = s3For(minio);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await enableUploadNotifications(s3, BUCKET, [MINIO_WEBHOOK_QUEUE_ARN]);
  });

  afterAll(async () => {
    s3?.destroy();
    await minio?.stop();
    await receiver?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    deliveries = [];
    rejectNext.clear();
  });

  it('delivers one event per upload, the key form-encoded the way MinIO does it', async () => {
    const uploads = {
      'photo.jpg': 'photo.jpg',
      'my photo+1.jpg': 'my+photo%2B1.jpg',
      // MinIO escapes '/' too (Go's url.QueryEscape); S3 leaves it.
      'ünï/çødé.png': '%C3%BCn%C3%AF%2F%C3%A7%C3%B8d%C3%A9.png',
    };

    for (const key of Object.keys(uploads)) await put(key);
    await waitFor(() => Object.values(uploads).every((raw) => accepted(raw).length > 0));

    for (const [key, raw] of Object.entries(uploads)) {
      expect(accepted(raw)).toHaveLength(1);
      const [delivery] = accepted(raw);
      expect(delivery!.event.Key).toBe(`${BUCKET}/${key}`);
      expect(delivery!.event.Records[0]).toMatchObject({
        eventName: 's3:ObjectCreated:Put',
        awsRegion: 'us-east-1',
        s3: {
          bucket: { name: BUCKET },
          object: { key: raw, size: Buffer.byteLength(`body of ${key}`) },
        },
      });
      expect(decodeURIComponent(raw.replaceAll('+', ' '))).toBe(key);
    }
    expect(deliveries).toHaveLength(3);
  });

  it('keeps an event on disk while the receiver is down, across a MinIO restart', async () => {
    const port = receiver.port;
    await receiver.stop();

    await put('while down.jpg');
    await sleep(3_500); // at least one failed delivery attempt
    await minio.stop();
    minio = await startMinio({
      binary: minioCachePath(),
      dataDir: join(root, 'data'),
      webhook: { endpoint: receiver.endpoint, queueDir: join(root, 'events') },
    });
    s3.destroy();
    s3 = s3For(minio);
    expect(deliveries).toEqual([]);
    receiver = await startWebhookReceiver({ port, onEvent });
    await waitFor(() => accepted('while+down.jpg').length > 0);

    expect(accepted('while+down.jpg')).toHaveLength(1);
  });

  it('redelivers an event that onEvent rejected', async () => {
    rejectNext.add('flaky.jpg');

    await put('flaky.jpg');
    await waitFor(() => accepted('flaky.jpg').length > 0);

    const attempts = deliveries.filter((d) => d.key === 'flaky.jpg');
    expect(attempts.map((d) => d.accepted)).toEqual([false, true]);
    // MinIO retries a failed event on its next 3 s tick, not after a backoff of minutes; the bound
    // leaves room for a busy machine.
    expect(attempts[1]!.at - attempts[0]!.at).toBeLessThan(10_000);
  });

  it('answers connectivity probes without handing anything to onEvent', async () => {
    const head = await fetch(receiver.endpoint, { method: 'HEAD' });
    const get = await fetch(receiver.endpoint);
    await get.body?.cancel();

    expect([head.status, get.status]).toEqual([200, 200]);
    expect(deliveries).toEqual([]);
  });

  it.each(['exit', 'SIGKILL'] as const)(
    'stops MinIO when the process that started it ends (%s)',
    async (how) => {
      const args = [join(root, `parent-${how}`), minioCachePath(), how];
      const parent = spawn(
        process.execPath,
        ['--input-type=module', '-e', PARENT_SCRIPT, ...args],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const pid = Number(await firstLine(parent.stdout));
      expect(isAlive(pid)).toBe(true);

      if (how === 'exit') parent.stdin?.write('exit\n');
      else parent.kill('SIGKILL');

      await waitFor(() => !isAlive(pid), 10_000);
    },
  );

  it('leaves no MinIO process behind after stop()', async () => {
    const { pid } = minio;
    expect(isAlive(pid)).toBe(true);

    await minio.stop();

    expect(isAlive(pid)).toBe(false);
  });
});

// Starts MinIO, prints its pid, then exits normally when told on stdin, or waits to be killed.
const MINIO_SERVER_MODULE = new URL('../../infra/local/storage/minio-server.ts', import.meta.url);
const PARENT_SCRIPT = `
  import { startMinio } from ${JSON.stringify(MINIO_SERVER_MODULE.href)};
  const [dataDir, binary, how] = process.argv.slice(1);
  const minio = await startMinio({ dataDir, binary });
  process.stdout.write(minio.pid + '\\n');
  if (how === 'exit') process.stdin.once('data', () => process.exit(0));
  else setInterval(() => {}, 60_000);
`;

async function firstLine(stream: Readable | null): Promise<string> {
  if (stream === null) throw new Error('no stream');
  for await (const line of createInterface({ input: stream })) return line;
  throw new Error('stream ended without a line');
}

async function waitFor(condition: () => boolean, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A zombie (exited, not yet reaped by whoever adopted it) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
