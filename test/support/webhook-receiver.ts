/** A real webhook receiver for tests: node:http on a free port, answering each request as told. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** `ok` answers 204, `fail` 500, `hang` accepts the request and never answers. */
export type ReceiverAnswer = 'ok' | 'fail' | 'hang';

export interface WebhookReceiver {
  url: string;
  received: Array<{ headers: IncomingHttpHeaders; body: string; atMs: number }>;
  close(): Promise<void>;
}

/** The n-th request gets the n-th answer; the last answer repeats. */
export async function startWebhookReceiver(...answers: ReceiverAnswer[]): Promise<WebhookReceiver> {
  const received: WebhookReceiver['received'] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), atMs: Date.now() });
      const answer = answers[Math.min(received.length, answers.length) - 1];
      if (answer !== 'hang') response.writeHead(answer === 'ok' ? 204 : 500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The headers as the Standard Webhooks library's verify takes them. */
export function headersOf(request: { headers: IncomingHttpHeaders }): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value]] : [])));
}
