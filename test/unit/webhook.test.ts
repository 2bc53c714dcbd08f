/**
 * Webhooks: signatures verified by the Standard Webhooks library itself; the backoff schedule;
 * one delivery attempt against a real local HTTP receiver (2xx, 500, a hang, a refused port);
 * and the AWS delivery core against that receiver. SQS and SSM cannot run here: the core takes
 * them as two small ports, stood in for in memory (the queue's visibility changes, the secret).
 */
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverQueuedEvents, SqsBatch, type MessageVisibility } from '../../functions/webhook-delivery/deliver-queued-events.ts';
import { JobEvent } from '../../shared/contracts/job-event.ts';
import { jobStartedEvent } from '../../shared/job-events/build-job-event.ts';
import { deliverWebhook } from '../../shared/webhooks/deliver-webhook.ts';
import { generateWebhookSecret, isWebhookSecret, signWebhook } from '../../shared/webhooks/sign-webhook.ts';
import { WEBHOOK_BACKOFF, webhookBackoff } from '../../shared/webhooks/webhook-backoff.ts';
import { headersOf, startWebhookReceiver, type ReceiverAnswer, type WebhookReceiver } from '../support/webhook-receiver.ts';

const secret = generateWebhookSecret();
const event = jobStartedEvent(
  { jobId: 'clip-0123', upload: { bucket: 'in', key: 'clip.mp4', size: 10 }, receivedAt: '2026-12-03T08:00:01.000Z' },
  new Date('2026-12-03T08:00:02.000Z'),
);

describe('signWebhook', () => {
  it('signs as Standard Webhooks says: the library verifies it, and refuses another secret or a changed body', () => {
    const body = JSON.stringify(event);
    const headers = signWebhook({ secret, id: event.id, timestamp: new Date(), body });
    expect(headers['webhook-id']).toBe('job.started.clip-0123');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(event);
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('running', 'failed'), { ...headers })).toThrow();
  });

  it('writes secrets as whsec_ and 32 random bytes', () => {
    expect(isWebhookSecret(secret)).toBe(true);
    expect(generateWebhookSecret()).not.toBe(secret);
    expect(isWebhookSecret('whsec_c2hvcnQ=')).toBe(false);
    expect(isWebhookSecret(secret.slice('whsec_'.length))).toBe(false);
  });
});

describe('webhookBackoff', () => {
  it.each([
    [1, 30_000],
    [2, 60_000],
    [3, 120_000],
    [5, 480_000],
    [6, 900_000],
    [7, 900_000],
    [30, 900_000],
  ])('after failed attempt %i waits %i ms (exponential, capped)', (attempt, ms) => {
    expect(webhookBackoff(attempt, WEBHOOK_BACKOFF)).toBe(ms);
  });

  it('with jitter draws up to the step', () => {
    expect(webhookBackoff(3, { ...WEBHOOK_BACKOFF, random: () => 0.5 })).toBe(60_000);
    expect(webhookBackoff(3, { ...WEBHOOK_BACKOFF, random: () => 0 })).toBe(0);
  });
});

type Receiver = WebhookReceiver;

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function receiver(...answers: ReceiverAnswer[]): Promise<Receiver> {
  const started = await startWebhookReceiver(...answers);
  closers.push(() => started.close());
  return started;
}

const verified = (request: Receiver['received'][number]) => JobEvent.parse(new Webhook(secret).verify(request.body, headersOf(request)));

describe('deliverWebhook (one attempt)', () => {
  it('a 2xx is delivered, signed, with the event as its JSON body', async () => {
    const hook = await receiver('ok');
    expect(await deliverWebhook({ url: hook.url, event, secret, timeoutMs: 2000 })).toEqual({ delivered: true, status: 204 });
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.headers['content-type']).toBe('application/json');
    expect(verified(hook.received[0]!)).toEqual(event);
  });

  it.each<{ name: string; answer: ReceiverAnswer; reason: RegExp }>([
    { name: 'a 500', answer: 'fail', reason: /answered 500/ },
    { name: 'no answer in time', answer: 'hang', reason: /no answer within 300 ms/ },
  ])('$name is a failure that says why', async ({ answer, reason }) => {
    const hook = await receiver(answer);
    const attempt = await deliverWebhook({ url: hook.url, event, secret, timeoutMs: 300 });
    expect(attempt).toMatchObject({ delivered: false, reason: expect.stringMatching(reason) });
  });

  it('a refused connection is a failure that says why', async () => {
    const hook = await receiver('ok');
    await closers.pop()!();
    const attempt = await deliverWebhook({ url: hook.url, event, secret, timeoutMs: 1000 });
    expect(attempt).toMatchObject({ delivered: false, reason: expect.stringMatching(/ECONNREFUSED/) });
  });
});

/** The queue's one operation, in memory: which message's visibility became what. */
class RecordingVisibility implements MessageVisibility {
  readonly changes: Array<{ receiptHandle: string; seconds: number }> = [];
  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    this.changes.push({ receiptHandle, seconds });
  }
}

/** An SQS message as the EventBridge rule's target writes it. */
const message = (id: string, detail: unknown, receiveCount: number) => ({
  messageId: id,
  receiptHandle: `handle-${id}`,
  body: JSON.stringify({ version: '0', id: 'eb-1', 'detail-type': 'job.started', source: 'fanout', detail }),
  attributes: { ApproximateReceiveCount: String(receiveCount) },
});

describe('deliverQueuedEvents (the delivery function core)', () => {
  it('delivers each message to every URL; a failed one is reported and comes back after the backoff for its receive count', async () => {
    const good = await receiver('ok');
    const flaky = await receiver('fail', 'ok');
    const queue = new RecordingVisibility();
    let secretReads = 0;
    const batch = SqsBatch.parse({ Records: [message('m1', event, 3)] });
    const deps = { urls: [good.url, flaky.url], secret: async () => (secretReads++, secret), queue, timeoutMs: 2000 };

    expect(await deliverQueuedEvents(batch, deps)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(queue.changes).toEqual([{ receiptHandle: 'handle-m1', seconds: 120 }]);

    // SQS brings it back: this time every receiver takes it, with the same webhook-id.
    expect(await deliverQueuedEvents(SqsBatch.parse({ Records: [message('m1', event, 4)] }), deps)).toEqual({ batchItemFailures: [] });
    expect(queue.changes).toHaveLength(1);
    expect(flaky.received.map((request) => request.headers['webhook-id'])).toEqual(['job.started.clip-0123', 'job.started.clip-0123']);
    expect(verified(flaky.received[1]!)).toEqual(event);
    expect(good.received).toHaveLength(2); // at least once: receivers deduplicate on webhook-id
    expect(secretReads).toBeGreaterThan(0);
  });

  it('reports only the failed messages of a batch, and a message that is no job event fails (to the dead-letter queue in the end)', async () => {
    const hook = await receiver('ok');
    const queue = new RecordingVisibility();
    const batch = SqsBatch.parse({ Records: [message('m1', event, 1), message('m2', { not: 'an event' }, 8)] });
    const result = await deliverQueuedEvents(batch, { urls: [hook.url], secret: async () => secret, queue, timeoutMs: 2000 });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(queue.changes).toEqual([{ receiptHandle: 'handle-m2', seconds: 900 }]);
    expect(hook.received).toHaveLength(1);
  });

  it('with no URLs configured takes every message off the queue, needing no secret (a stack without webhooks has none)', async () => {
    const queue = new RecordingVisibility();
    const batch = SqsBatch.parse({ Records: [message('m1', event, 1)] });
    let secretReads = 0;
    const noSecret = async (): Promise<string> => {
      secretReads++;
      throw new Error('ParameterNotFound: /fanout/webhook-secret');
    };
    expect(await deliverQueuedEvents(batch, { urls: [], secret: noSecret, queue, timeoutMs: 2000 })).toEqual({ batchItemFailures: [] });
    expect(queue.changes).toEqual([]);
    expect(secretReads).toBe(0);
  });

  it('a receiver that hangs fails the message once its timeout passes', async () => {
    const hook = await receiver('hang');
    const queue = new RecordingVisibility();
    const result = await deliverQueuedEvents(SqsBatch.parse({ Records: [message('m1', event, 1)] }), { urls: [hook.url], secret: async () => secret, queue, timeoutMs: 300 });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(queue.changes).toEqual([{ receiptHandle: 'handle-m1', seconds: 30 }]);
  });
});
