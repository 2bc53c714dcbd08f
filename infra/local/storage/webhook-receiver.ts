import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// What MinIO (pinned build, webhook target with queue_dir) does, found by experiment and in its
// source (internal/event/target/webhook.go, internal/store/store.go):
// - One POST per event to the endpoint URL as configured (path included), `Content-Type:
//   application/json`, body `{ EventName, Key, Records: [<one S3 event record>] }`. `Key` is
//   `<bucket>/<key>` decoded; `Records[0].s3.object.key` is Go's url.QueryEscape of the key:
//   spaces as `+`, `+` as `%2B`, `/` as `%2F`, UTF-8 percent-encoded ("ünï/çødé.png" ->
//   "%C3%BCn%C3%AF%2F%C3%A7%C3%B8d%C3%A9.png"). AWS leaves `/` as is; decoding with
//   decodeURIComponent(key.replaceAll('+', ' ')) handles both. Unlike S3's records: eventName is
//   `s3:ObjectCreated:Put` (S3: `ObjectCreated:Put`), eventSource `minio:s3`, awsRegion is ""
//   unless a region is set (startMinio sets us-east-1), and eTag has no quotes (as in S3).
// - Connectivity probe: a bare TCP connect to host:port, closed without a request. A request
//   without a body (a HEAD or GET, as some MinIO releases send) gets 200 and reaches no one.
// - Any 2xx acknowledges the event; anything else, a reset or a refused connection keeps it in
//   queue_dir (also across MinIO restarts). Queued events go out one at a time, oldest first,
//   on a 3 s ticker, so delivery takes up to ~3 s. A failed event is retried at once (a tick is
//   usually pending), then every 3 s, forever, and holds back every event queued behind it.
// - A reply slower than 60 s (the client's response-header timeout) counts as a failure and the
//   event is sent again: delivery is at least once, so keep onEvent short and idempotent.

export type WebhookReceiver = {
  /** The URL to configure as MinIO's webhook endpoint. */
  endpoint: string;
  port: number;
  /** Stops listening and drops open connections (an event in flight is then redelivered). */
  stop(): Promise<void>;
};

export type StartWebhookReceiverOptions = {
  /** Port on 127.0.0.1, a free one when left out; reuse it so MinIO finds a restarted receiver. */
  port?: number;
  /** Gets the parsed JSON body as MinIO sent it; MinIO redelivers the event until this resolves. */
  onEvent: (event: unknown) => Promise<void>;
};

const EVENTS_PATH = '/minio/events';
// An event is ~1.5 KB; user metadata is capped by S3 at 2 KB.
const MAX_BODY_BYTES = 1024 * 1024;

export async function startWebhookReceiver(
  options: StartWebhookReceiverOptions,
): Promise<WebhookReceiver> {
  const server = createServer((request, response) => {
    void receive(request, response, options.onEvent);
  });
  // Go's client drops idle connections after 15 s; closing ours sooner races with its next POST,
  // which then fails and waits for the 3 s retry.
  server.keepAliveTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}${EVENTS_PATH}`,
    port,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

async function receive(
  request: IncomingMessage,
  response: ServerResponse,
  onEvent: (event: unknown) => Promise<void>,
): Promise<void> {
  let body: string;
  try {
    body = await readBody(request);
  } catch (error) {
    reply(response, 413, error);
    return;
  }
  if (request.method !== 'POST' || body === '') {
    reply(response, 200); // a connectivity probe
    return;
  }
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch (error) {
    reply(response, 400, error);
    return;
  }
  try {
    await onEvent(event);
  } catch (error) {
    reply(response, 500, error);
    return;
  }
  reply(response, 200);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(response: ServerResponse, status: number, error?: unknown): void {
  if (response.headersSent || response.destroyed) return;
  const text = error === undefined ? '' : error instanceof Error ? error.message : String(error);
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}
