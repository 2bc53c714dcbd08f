/**
 * Job events as signed webhooks, through one real local stack (MinIO, the local Step Functions
 * endpoint, the real finalizer in a worker, the local EventBridge endpoint): three receivers
 * started by the test take every event. One answers 2xx, one answers 500 first, one accepts and
 * never answers. A video job and a broken file go through; each receiver's view is a test.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { videoFixture } from '../../fixtures/videos.ts';
import { JobEvent } from '../../shared/contracts/job-event.ts';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { generateWebhookSecret } from '../../shared/webhooks/sign-webhook.ts';
import { WEBHOOK_DEAD_LETTERS_FILE } from '../../infra/local/events/local-events.ts';
import type { WebhookDeadLetter } from '../../infra/local/events/webhook-dispatcher.ts';
import { putUpload, startTestStack, waitForManifest, type TestStack } from '../support/pipeline-harness.ts';
import { headersOf, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const CHUNKING = { CHUNK_SECONDS: '1', SEGMENT_SECONDS: '1', GOP_SECONDS: '1', X264_PRESET: 'ultrafast' };
/** Three attempts, 3 s each at most, 0.5 s then 1 s apart: a hanging receiver costs each event some 10 s, well past a job's end. */
const DELIVERY = { timeoutMs: 3000, attempts: 3, backoff: { baseMs: 500, capMs: 2000 } };

const secret = generateWebhookSecret();
const flakySecret = generateWebhookSecret();
let harness: TestStack;
let ok: WebhookReceiver;
let flaky: WebhookReceiver;
let hanging: WebhookReceiver;
const jobs: { video?: { jobId: string; manifest: Manifest }; broken?: { jobId: string; manifest: Manifest } } = {};
/** What the dead-letter file held once the jobs and their finalizers were done. */
let deadLettersAtIdle: WebhookDeadLetter[];

const deadLetters = async (): Promise<WebhookDeadLetter[]> => {
  const text = await readFile(join(harness.stateDir, WEBHOOK_DEAD_LETTERS_FILE), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as WebhookDeadLetter);
};

/** Every request a receiver got, verified with the Standard Webhooks library and parsed as a JobEvent. */
const verifiedEvents = (receiver: WebhookReceiver, key = secret) => receiver.received.map((request) => JobEvent.parse(new Webhook(key).verify(request.body, headersOf(request))));

beforeAll(async () => {
  [ok, flaky, hanging] = await Promise.all([startWebhookReceiver('ok'), startWebhookReceiver('fail', 'ok'), startWebhookReceiver('hang')]);
  harness = await startTestStack({
    storage: 'minio',
    concurrency: 2,
    functionEnvironment: { splitter: CHUNKING },
    webhooks: [
      { url: ok.url, secret },
      { url: flaky.url, secret: flakySecret },
      { url: hanging.url, secret },
    ],
    webhookDelivery: DELIVERY,
  });
  const video = await putUpload(harness.stack, await videoFixture('h264.mp4'), 'webhooks/clip.mp4');
  const broken = await putUpload(harness.stack, await videoFixture('no-moov.mp4'), 'webhooks/broken.mp4');
  jobs.video = { jobId: video.jobId, manifest: await waitForManifest(harness.stack, video.jobId, 120_000) };
  jobs.broken = { jobId: broken.jobId, manifest: await waitForManifest(harness.stack, broken.jobId, 120_000) };
  // Every execution ended and every finalizer ran (events published): the jobs are done.
  await harness.stack.idle();
  deadLettersAtIdle = await deadLetters();
}, 240_000);

afterAll(async () => {
  await harness?.stop();
  await Promise.all([ok, flaky, hanging].map((receiver) => receiver?.close()));
});

describe('signed job webhooks', () => {
  it('a receiver gets job.started and job.succeeded for a video, job.started and job.rejected (with its code) for a broken file, each signed', async () => {
    const { video, broken } = jobs;
    expect(video!.manifest.status).toBe('succeeded');
    expect(broken!.manifest).toMatchObject({ status: 'rejected', error: { code: 'CORRUPT_INPUT' } });

    // The last event was published before idle() returned; its POST may still be on its way.
    await vi.waitFor(() => expect(ok.received.length).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
    const events = verifiedEvents(ok);
    const of = (jobId: string) => events.filter((event) => event.data.jobId === jobId);
    expect(of(video!.jobId).map((event) => event.type).sort()).toEqual(['job.started', 'job.succeeded']);
    expect(of(broken!.jobId).map((event) => event.type).sort()).toEqual(['job.rejected', 'job.started']);

    const succeeded = of(video!.jobId).find((event) => event.type === 'job.succeeded')!;
    expect(succeeded).toMatchObject({
      id: `job.succeeded.${video!.jobId}`,
      data: { status: 'succeeded', manifestKey: `${video!.jobId}/manifest.json`, source: { key: 'webhooks/clip.mp4', mediaType: 'video' }, renditions: { hls: true, videoRungs: video!.manifest.renditions.flatMap((r) => (r.kind === 'video' ? [r.rung] : [])) } },
    });
    expect(succeeded.data.renditions!.count).toBe(video!.manifest.renditions.length);
    const rejected = of(broken!.jobId).find((event) => event.type === 'job.rejected')!;
    expect(rejected).toMatchObject({ id: `job.rejected.${broken!.jobId}`, data: { status: 'rejected', error: { code: 'CORRUPT_INPUT' } } });
    // The same events the local host keeps for its readers.
    expect(harness.stack.jobEvents().map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
    // Signed with this receiver's secret, not another's.
    expect(() => new Webhook(flakySecret).verify(ok.received[0]!.body, headersOf(ok.received[0]!))).toThrow();
  });

  it('a receiver that answers 500 first gets the same webhook-id again, then takes it, and gets it no more', async () => {
    await harness.stack.webhooksIdle();
    const [first, ...rest] = flaky.received;
    const firstId = first!.headers['webhook-id'];
    expect(rest.filter((request) => request.headers['webhook-id'] === firstId)).toHaveLength(1);
    // Each of the four events once, the first one twice.
    expect(flaky.received).toHaveLength(5);
    expect(new Set(verifiedEvents(flaky, flakySecret).map((event) => event.id)).size).toBe(4);
    expect((await deadLetters()).filter((letter) => letter.url === flaky.url)).toEqual([]);
  });

  it('a receiver that never answers leaves the jobs unaffected, and its deliveries give up into the dead-letter file', async () => {
    // The last job's end was announced while every delivery of that event to it was still
    // pending: publishing does not wait for receivers. (Earlier events may already have given
    // up on a slow machine, where a job outlasts their retries; the last one cannot have.)
    const last = [jobs.video!, jobs.broken!].sort((a, b) => Date.parse(b.manifest.timings.finishedAt) - Date.parse(a.manifest.timings.finishedAt))[0]!;
    expect(deadLettersAtIdle.filter((letter) => letter.event.data.jobId === last.jobId && letter.event.type !== 'job.started')).toEqual([]);
    expect(jobs.video!.manifest.status).toBe('succeeded');

    await harness.stack.webhooksIdle();
    const letters = (await deadLetters()).filter((letter) => letter.url === hanging.url);
    expect(letters.map((letter) => letter.event.id).sort()).toEqual(harness.stack.jobEvents().map((event) => event.id).sort());
    for (const letter of letters) expect(letter).toMatchObject({ attempts: 3, reason: expect.stringMatching(/no answer within 3000 ms/) });
    expect(hanging.received).toHaveLength(4 * 3);
    expect(await deadLetters()).toHaveLength(4);
  });
});
