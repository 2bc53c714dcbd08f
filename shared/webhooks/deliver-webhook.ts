/**
 * One delivery attempt of one event to one receiver: a signed POST of the event's JSON, bounded
 * by a timeout. A 2xx is delivered; anything else (another status, a timeout, a refused or
 * reset connection) is a failure that says why. Retrying is the caller's: the SQS queue on AWS,
 * the local dispatcher locally.
 */
import type { JobEvent } from '../contracts/job-event.ts';
import { signWebhook } from './sign-webhook.ts';

export type WebhookAttempt = { delivered: true; status: number } | { delivered: false; status?: number; reason: string };

export async function deliverWebhook({ url, event, secret, timeoutMs, signal, now = () => new Date() }: { url: string; event: JobEvent; secret: string; timeoutMs: number; signal?: AbortSignal; now?: () => Date }): Promise<WebhookAttempt> {
  const body = JSON.stringify(event);
  const headers = { 'content-type': 'application/json', 'user-agent': 'fanout-webhooks', ...signWebhook({ secret, id: event.id, timestamp: now(), body }) };
  try {
    const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]) : AbortSignal.timeout(timeoutMs) });
    // Only the status matters; the body is read off so the connection can be reused.
    await response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 300) return { delivered: true, status: response.status };
    return { delivered: false, status: response.status, reason: `${url} answered ${response.status}` };
  } catch (error) {
    return { delivered: false, reason: `${url}: ${failureOf(error, timeoutMs)}` };
  }
}

function failureOf(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  // fetch wraps the socket's error ("fetch failed"); its cause names it (ECONNREFUSED, ...).
  const cause = error instanceof Error ? error.cause : undefined;
  const code = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : undefined;
  return [error instanceof Error ? error.message : String(error), code].filter(Boolean).join(': ');
}
