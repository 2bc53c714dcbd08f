/**
 * The webhook delivery core on AWS: a batch of SQS messages in, each an EventBridge event whose
 * detail is a JobEvent; each event POSTed, signed, to every receiver. A message that failed for
 * any receiver is reported in `batchItemFailures` (the event source mapping's
 * ReportBatchItemFailures), so SQS redelivers it alone, and its visibility is set to the backoff
 * for its receive count, so the next try waits: the queue is the retry loop, and its redrive
 * policy moves the message to the dead-letter queue after its last receive.
 *
 * A retry goes to every receiver again, those that already took it too: delivery is at least
 * once, and receivers deduplicate on `webhook-id`, the event's stable id.
 */
import { z } from 'zod';
import { JobEvent } from '../../shared/contracts/job-event.ts';
import { deliverWebhook, type WebhookAttempt } from '../../shared/webhooks/deliver-webhook.ts';
import { WEBHOOK_BACKOFF, webhookBackoff, type BackoffPolicy } from '../../shared/webhooks/webhook-backoff.ts';

/** The fields of Lambda's SQS event that delivery reads. */
export const SqsBatch = z.object({
  Records: z.array(
    z.object({
      messageId: z.string(),
      receiptHandle: z.string(),
      body: z.string(),
      attributes: z.object({ ApproximateReceiveCount: z.coerce.number().int().positive() }),
    }),
  ),
});
export type SqsBatch = z.input<typeof SqsBatch>;

/** EventBridge's envelope, as the rule's SQS target writes it; the JobEvent is its detail. */
const QueuedJobEvent = z.object({ detail: JobEvent });

/** The queue, as far as delivery needs it: when a failed message comes back. */
export interface MessageVisibility {
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
}

export interface DeliveryDeps {
  urls: string[];
  /** The `whsec_…` secret; the handler reads it once per cold start. */
  secret: () => Promise<string>;
  queue: MessageVisibility;
  timeoutMs: number;
  backoff?: BackoffPolicy;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

/** SQS's ceiling on a visibility timeout: 12 hours. */
const MAX_VISIBILITY_SECONDS = 12 * 3600;

export async function deliverQueuedEvents(batch: z.output<typeof SqsBatch>, deps: DeliveryDeps): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> {
  const log = deps.log ?? (() => {});
  const results = await Promise.all(
    batch.Records.map(async (record) => {
      const failure = await deliverRecord(record.body, deps);
      if (failure === undefined) return undefined;
      const receiveCount = record.attributes.ApproximateReceiveCount;
      const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(webhookBackoff(receiveCount, deps.backoff ?? WEBHOOK_BACKOFF) / 1000));
      log('webhook delivery failed', { messageId: record.messageId, receiveCount, retryInSeconds: seconds, failure });
      // If this fails too, the message still comes back, after the queue's own visibility timeout.
      await deps.queue.changeVisibility(record.receiptHandle, seconds).catch((error: unknown) => log('could not delay the retry', { messageId: record.messageId, error: String(error) }));
      return { itemIdentifier: record.messageId };
    }),
  );
  return { batchItemFailures: results.filter((result) => result !== undefined) };
}

/** Undefined when every receiver took it; otherwise why not. */
async function deliverRecord(body: string, deps: DeliveryDeps): Promise<string | undefined> {
  const parsed = QueuedJobEvent.safeParse(safeJson(body));
  // Not ours to deliver, ever: it fails every receive and waits in the dead-letter queue for a person.
  if (!parsed.success) return `the message is not a job event: ${z.prettifyError(parsed.error)}`;
  // Nowhere to deliver: taken off the queue. A stack deployed without webhooks has no secret to read.
  if (deps.urls.length === 0) return undefined;
  const secret = await deps.secret();
  const attempts: WebhookAttempt[] = await Promise.all(deps.urls.map((url) => deliverWebhook({ url, event: parsed.data.detail, secret, timeoutMs: deps.timeoutMs })));
  const reasons = attempts.flatMap((attempt) => (attempt.delivered ? [] : [attempt.reason]));
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
