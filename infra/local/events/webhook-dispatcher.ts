/**
 * The local host's webhook delivery: the same signing and attempt code as the delivery function
 * on AWS (shared/webhooks), each receiver on its own retry chain with the same backoff schedule
 * and the same `webhook-id` every time. Fire-and-forget: `dispatch` returns at once, so a
 * receiver that is down or hangs never delays or fails a job. A delivery that exhausts its
 * retries (or is still pending when the host stops) is appended to the dead-letter file, the
 * local counterpart of the SQS dead-letter queue.
 */
import { appendFile } from 'node:fs/promises';
import pRetry from 'p-retry';
import type { JobEvent } from '../../../shared/contracts/job-event.ts';
import { deliverWebhook } from '../../../shared/webhooks/deliver-webhook.ts';
import { WEBHOOK_BACKOFF, WEBHOOK_MAX_ATTEMPTS, type BackoffPolicy } from '../../../shared/webhooks/webhook-backoff.ts';

export interface WebhookTarget {
  url: string;
  /** `whsec_…` */
  secret: string;
}

export interface WebhookDeliveryOptions {
  /** Per attempt; the delivery function's WEBHOOK_TIMEOUT_MS default. */
  timeoutMs?: number;
  /** Attempts in all, the first included. */
  attempts?: number;
  backoff?: BackoffPolicy;
}

/** One line of `<stateDir>/webhook-dead-letters.jsonl`. */
export interface WebhookDeadLetter {
  url: string;
  attempts: number;
  reason: string;
  deadAt: string;
  event: JobEvent;
}

export interface WebhookDispatcher {
  dispatch(event: JobEvent): void;
  /** Resolves when no delivery is pending (delivered or dead-lettered). */
  idle(): Promise<void>;
  /** Stops retrying; pending deliveries are dead-lettered as such. */
  close(): Promise<void>;
}

export function webhookDispatcher({ webhooks, deadLetterFile, delivery = {}, log = () => {} }: { webhooks: WebhookTarget[]; deadLetterFile: string; delivery?: WebhookDeliveryOptions; log?: (line: string) => void }): WebhookDispatcher {
  const { timeoutMs = 10_000, attempts = WEBHOOK_MAX_ATTEMPTS, backoff = WEBHOOK_BACKOFF } = delivery;
  const stopping = new AbortController();
  const pending = new Set<Promise<void>>();

  const deliver = async (target: WebhookTarget, event: JobEvent) => {
    let tries = 0;
    try {
      await pRetry(
        async () => {
          tries++;
          const attempt = await deliverWebhook({ url: target.url, event, secret: target.secret, timeoutMs, signal: stopping.signal });
          if (!attempt.delivered) throw new Error(attempt.reason);
        },
        // The schedule of webhookBackoff without jitter: base × factor^(n-1), capped.
        { retries: attempts - 1, minTimeout: backoff.baseMs, maxTimeout: backoff.capMs, factor: backoff.factor ?? 2, signal: stopping.signal },
      );
    } catch (error) {
      const reason = stopping.signal.aborted ? 'the local host stopped before the webhook was delivered' : error instanceof Error ? error.message : String(error);
      const letter: WebhookDeadLetter = { url: target.url, attempts: tries, reason, deadAt: new Date().toISOString(), event };
      log(`webhook: ${event.id} to ${target.url} gave up after ${tries} attempt(s): ${reason}; kept in ${deadLetterFile}`);
      await appendFile(deadLetterFile, `${JSON.stringify(letter)}\n`, { encoding: 'utf8', mode: 0o600 }).catch((writeError: unknown) => log(`webhook: could not keep a dead letter: ${String(writeError)}`));
    }
  };

  const idle = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  return {
    dispatch(event) {
      if (stopping.signal.aborted) return;
      for (const target of webhooks) {
        const delivery = deliver(target, event);
        pending.add(delivery);
        void delivery.finally(() => pending.delete(delivery));
      }
    },
    idle,
    async close() {
      stopping.abort();
      await idle();
    },
  };
}
