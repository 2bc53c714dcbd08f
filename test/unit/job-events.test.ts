/**
 * The job events: the pure builders (a table, one row per way a job starts or ends), and the
 * EventBridge publisher with the real SDK client against the local host's PutEvents endpoint
 * and against a server that fails the entry, or is not there at all.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { JobEvent } from '../../shared/contracts/job-event.ts';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { TransientError } from '../../shared/errors.ts';
import { jobEndedEvent, jobStartedEvent } from '../../shared/job-events/build-job-event.ts';
import { eventBridgePublisher, jobEventPublisherFrom } from '../../shared/job-events/job-event-publisher.ts';
import { startEventBridgeEndpoint, type PutEventsEntry } from '../../infra/local/events/event-bridge-endpoint.ts';

const upload = { bucket: 'fanout-input', key: 'talks/clip.mp4', size: 1234, etag: 'abc' };
const input = { jobId: 'clip-0123', upload, uploadedAt: '2026-12-03T08:00:00.000Z', receivedAt: '2026-12-03T08:00:01.000Z' };
const timings = { uploadedAt: input.uploadedAt, receivedAt: input.receivedAt, finishedAt: '2026-12-03T08:01:00.000Z', totalMs: 60_000, queuedMs: 1000, splitMs: 2000, assembleMs: 3000, steps: [] };
const cost = {
  currency: 'USD' as const, totalUsd: 0.0004, basis: 'modelled' as const,
  lambda: { invocations: 7, gbSeconds: 20, usd: 0.00035 }, stepFunctions: { transitions: 20, usd: 0.00005 },
  prices: { region: 'us-east-1', asOf: '2026-12-01', lambdaGbSecondUsd: 0.0000166667, lambdaRequestUsd: 0.0000002, stateTransitionUsd: 0.000025 },
};
const video: Manifest = {
  schemaVersion: 1, jobId: 'clip-0123', status: 'succeeded', source: { ...upload, mediaType: 'video' }, timings, cost,
  renditions: [
    { kind: 'video', rung: '360p', key: 'clip-0123/video/360p.mp4', codecs: 'avc1', width: 640, height: 360, bitrateKbps: 800, durationSeconds: 2, frames: 48, bytes: 2000 },
    { kind: 'video', rung: '180p', key: 'clip-0123/video/180p.mp4', codecs: 'avc1', width: 320, height: 180, bitrateKbps: 300, durationSeconds: 2, frames: 48, bytes: 1000 },
    { kind: 'hls', key: 'clip-0123/hls/master.m3u8', variants: 2, segmentSeconds: 4 },
    { kind: 'image', role: 'poster', key: 'clip-0123/poster/640w.jpg', format: 'jpeg', width: 640, height: 360, bytes: 500 },
  ],
};
const image: Manifest = {
  ...video, status: 'succeeded', source: { ...upload, mediaType: 'image' }, cost: undefined,
  renditions: [640, 320, 640].map((width, index) => ({ kind: 'image' as const, role: 'image' as const, key: `clip-0123/image/${width}w.${index}`, format: 'webp' as const, width, height: width, bytes: 100 })),
};
const rejected: Manifest = { ...video, status: 'rejected', source: upload, error: { code: 'CORRUPT_INPUT', message: 'moov atom not found' }, renditions: [], cost: undefined };
const failed: Manifest = { ...rejected, status: 'failed', error: { code: 'TASK_TIMED_OUT', message: 'too slow' } };

describe('job event builders', () => {
  it('job.started: the upload and when it came, with the stable id and the start as its time', () => {
    const event = jobStartedEvent(input, new Date('2026-12-03T08:00:02.000Z'));
    expect(event).toEqual({
      id: 'job.started.clip-0123', type: 'job.started', timestamp: '2026-12-03T08:00:02.000Z',
      data: { jobId: 'clip-0123', status: 'running', source: { bucket: 'fanout-input', key: 'talks/clip.mp4', bytes: 1234 }, timings: { uploadedAt: input.uploadedAt, receivedAt: input.receivedAt } },
    });
  });

  it.each([
    { name: 'a video that succeeded', manifest: video, type: 'job.succeeded', error: undefined, renditions: { count: 4, bytes: 3500, videoRungs: ['360p', '180p'], imageWidths: [], hls: true }, cost },
    { name: 'an image that succeeded', manifest: image, type: 'job.succeeded', error: undefined, renditions: { count: 3, bytes: 300, videoRungs: [], imageWidths: [640, 320], hls: false }, cost: undefined },
    { name: 'a rejected upload', manifest: rejected, type: 'job.rejected', error: { code: 'CORRUPT_INPUT', message: 'moov atom not found' }, renditions: { count: 0, bytes: 0, videoRungs: [], imageWidths: [], hls: false }, cost: undefined },
    { name: 'a failed job', manifest: failed, type: 'job.failed', error: { code: 'TASK_TIMED_OUT', message: 'too slow' }, renditions: { count: 0, bytes: 0, videoRungs: [], imageWidths: [], hls: false }, cost: undefined },
  ])('$name -> $type', ({ manifest, type, error, renditions, cost: expectedCost }) => {
    const event = jobEndedEvent(manifest);
    expect(JobEvent.parse(event)).toEqual(event);
    expect(event).toMatchObject({ id: `${type}.clip-0123`, type, timestamp: timings.finishedAt, data: { jobId: 'clip-0123', status: manifest.status, manifestKey: 'clip-0123/manifest.json', renditions } });
    expect(event.data.error).toEqual(error);
    expect(event.data.cost).toEqual(expectedCost);
    expect(event.data.timings).toEqual({ uploadedAt: timings.uploadedAt, receivedAt: timings.receivedAt, finishedAt: timings.finishedAt, totalMs: 60_000 });
    expect(event.data.source).toEqual({ bucket: 'fanout-input', key: 'talks/clip.mp4', bytes: 1234, ...(manifest.source.mediaType ? { mediaType: manifest.source.mediaType } : {}) });
  });
});

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const client = (endpoint: string) => new EventBridgeClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });

describe('the EventBridge publisher', () => {
  it('puts the event on the bus: source fanout, detail-type = type, detail = the event', async () => {
    const entries: PutEventsEntry[] = [];
    const endpoint = await startEventBridgeEndpoint({ onEvent: (entry) => entries.push(entry) });
    closers.push(() => endpoint.close());
    const publisher = jobEventPublisherFrom({ EVENT_BUS_NAME: 'fanout-jobs', AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint.endpoint }, { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

    await publisher!.publish(jobEndedEvent(video));

    expect(entries).toMatchObject([{ EventBusName: 'fanout-jobs', Source: 'fanout', DetailType: 'job.succeeded', Time: Date.parse(timings.finishedAt) / 1000 }]);
    expect(JSON.parse(entries[0]!.Detail)).toEqual(jobEndedEvent(video));
  });

  it('is not there without EVENT_BUS_NAME', () => {
    expect(jobEventPublisherFrom({})).toBeUndefined();
  });

  it('turns a failed entry into a TransientError', async () => {
    const url = await listen(
      createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] }));
      }),
    );
    const error = await eventBridgePublisher({ client: client(url), eventBusName: 'fanout' }).publish(jobEndedEvent(failed)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'EVENTS_UNAVAILABLE', message: expect.stringContaining('ThrottlingException: slow down') });
  });

  it('turns an unreachable endpoint into a TransientError', async () => {
    const url = await listen(createServer());
    await closers.pop()!(); // the port is now closed: connection refused
    const error = await eventBridgePublisher({ client: client(url), eventBusName: 'fanout' }).publish(jobEndedEvent(failed)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
  });
});
