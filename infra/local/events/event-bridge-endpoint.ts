/**
 * The local EventBridge endpoint: an HTTP server on 127.0.0.1 speaking the one operation the
 * functions call, PutEvents, in the AWS JSON 1.1 protocol, so that @aws-sdk/client-eventbridge
 * works against it with only `endpoint` overridden (AWS_ENDPOINT_URL_EVENTBRIDGE). Each entry is
 * handed to `onEvent`; there are no rules here, the caller routes.
 *
 *   POST /   X-Amz-Target: AWSEvents.PutEvents   Content-Type: application/x-amz-json-1.1
 *   200 {"FailedEntryCount": 0, "Entries": [{"EventId": "..."}]}  |  400 {"__type": "...", "message": "..."}
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** What the SDK's PutEventsCommand sends per entry (Time as epoch seconds). */
export const PutEventsEntry = z.object({
  Source: z.string().min(1),
  DetailType: z.string().min(1),
  Detail: z.string().min(1),
  EventBusName: z.string().optional(),
  Time: z.number().optional(),
  Resources: z.array(z.string()).optional(),
  TraceHeader: z.string().optional(),
});
export type PutEventsEntry = z.infer<typeof PutEventsEntry>;

const PutEventsRequest = z.object({ Entries: z.array(PutEventsEntry).min(1).max(10) });

export interface EventBridgeEndpoint {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_EVENTBRIDGE. */
  endpoint: string;
  close(): Promise<void>;
}

const PUT_EVENTS = 'AWSEvents.PutEvents';
/** PutEvents takes at most 256 KiB of entries. */
const MAX_BODY_BYTES = 256 * 1024;

class RequestError extends Error {
  constructor(type: string, message: string) {
    super(message);
    this.name = type;
  }
}

export async function startEventBridgeEndpoint({ port = 0, onEvent }: { port?: number; onEvent: (entry: PutEventsEntry & { id: string }) => void }): Promise<EventBridgeEndpoint> {
  const server = createServer((request, response) => {
    void putEvents(request, onEvent).then(
      (result) => reply(response, 200, result),
      (error: unknown) => reply(response, 400, { __type: error instanceof RequestError ? error.name : 'InternalException', message: error instanceof Error ? error.message : String(error) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The SDK keeps connections alive; without this, close() waits for them to time out.
      server.closeAllConnections();
      await closed;
    },
  };
}

async function putEvents(request: IncomingMessage, onEvent: (entry: PutEventsEntry & { id: string }) => void) {
  if (request.method !== 'POST' || request.headers['x-amz-target'] !== PUT_EVENTS) throw new RequestError('UnknownOperationException', `Expected POST / with X-Amz-Target: ${PUT_EVENTS}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new RequestError('ValidationException', `PutEvents takes at most ${MAX_BODY_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new RequestError('SerializationException', 'The request body is not valid JSON');
  }
  const parsed = PutEventsRequest.safeParse(body);
  if (!parsed.success) throw new RequestError('ValidationException', z.prettifyError(parsed.error));
  const entries = parsed.data.Entries.map((entry) => ({ ...entry, id: crypto.randomUUID() }));
  for (const entry of entries) onEvent(entry);
  return { FailedEntryCount: 0, Entries: entries.map((entry) => ({ EventId: entry.id })) };
}

function reply(response: ServerResponse, status: number, payload: object): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text, 'utf8'), 'x-amzn-requestid': crypto.randomUUID() });
  response.end(text);
}
