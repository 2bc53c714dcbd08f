/**
 * The job API against one local stack with a real MinIO: auth, direct uploads (single and
 * multipart) through to succeeded jobs with playback URLs that work, the listing, every bad
 * request's code, and a DELETE that removes the job's objects and nothing else.
 */
import { CreateBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoFixture } from '../../fixtures/videos.ts';
import { CreateUploadResponse, Job, JobList, JobTimeline, UploadStatus } from '../../shared/contracts/api.ts';
import { Manifest } from '../../shared/contracts/manifest.ts';
import { playbackToken, startApiServer } from '../../infra/local/api-server.ts';
import { startStepFunctionsServer } from '../../infra/local/step-functions/server.ts';
import { findFreePort } from '../../infra/local/storage/find-free-port.ts';
import type { ExecutionInput } from '../../shared/contracts/execution-input.ts';
import { keysUnder, startTestStack, type TestStack } from '../support/pipeline-harness.ts';
import { fanoutCli, runFanout } from '../support/run-fanout.ts';
import { connectionOf, writeConnection } from '../../infra/cli/stack-connection.ts';

const MiB = 1024 ** 2;
const ANY_UPLOAD_ID = '5b0c1f8e-2a65-4d3e-9d1f-3c0b6f7e8a90';
let harness: TestStack;
let workDir: string;
let noisePng: string;

const api = (path: string, init: RequestInit & { key?: string | null } = {}) => {
  const { key = harness.stack.api.apiKey, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key !== null) headers.set('authorization', `Bearer ${key}`);
  return fetch(`${harness.stack.api.endpoint}${path}`, { ...rest, headers });
};
const postJson = (path: string, body: unknown) => api(path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
const uploadStatus = async (uploadId: string) => UploadStatus.parse(await (await api(`/v1/uploads/${uploadId}`)).json());
const job = async (jobId: string) => Job.parse(await (await api(`/v1/jobs/${jobId}`)).json());
/** fetch sets Content-Length from the body itself. */
const withoutLength = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
const versionsOf = async (bucket: string, prefix: string) => {
  const page = await harness.stack.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
  return [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((entry) => entry.Key);
};

/**
 * The pipeline's own state machine on a second local endpoint whose Split task waits for the
 * test, behind a second API over the given buckets: an execution is RUNNING until the test
 * stops it, with no timing to race.
 */
async function startHeldApi(buckets: { input: string; renditions: string }) {
  const { deployment, s3, storage } = harness.stack;
  const splitStarted = Promise.withResolvers<unknown>();
  const releaseSplit = Promise.withResolvers<void>();
  const stepFunctions = await startStepFunctionsServer({
    stateMachines: [deployment.stateMachine],
    invokeTask: async (_resource, payload, { onStart }) => {
      // A worker took it, as the function host says when it does: the split is running.
      onStart(Date.now());
      splitStarted.resolve(payload);
      await releaseSplit.promise;
      return {};
    },
  });
  const sfn = new SFNClient({ endpoint: stepFunctions.endpoint, region: deployment.region, credentials: storage.credentials });
  const heldApi = await startApiServer({
    stateDir: harness.stateDir,
    environment: { INPUT_BUCKET: buckets.input, RENDITIONS_BUCKET: buckets.renditions, STATE_MACHINE_ARN: deployment.stateMachine.arn },
    s3,
    sfn,
    port: await findFreePort(),
  });
  const close = async () => {
    releaseSplit.resolve();
    await heldApi.close();
    await stepFunctions.close();
    sfn.destroy();
  };
  return { sfn, heldApi, splitStarted: splitStarted.promise, close };
}

describe('job API (local stack, MinIO)', () => {
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'fanout-api-'));
    // Noise does not compress: a PNG over the lowered multipart threshold, quick to resize.
    noisePng = join(workDir, 'noise.png');
    const side = 1500;
    const pixels = Buffer.alloc(side * side * 3);
    for (let index = 0; index < pixels.length; index++) pixels[index] = (index * 2654435761) >>> 24;
    await sharp(pixels, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 0 }).toFile(noisePng);
    harness = await startTestStack({
      storage: 'minio',
      apiEnvironment: { MULTIPART_THRESHOLD_BYTES: String(6 * MiB), MULTIPART_PART_BYTES: String(5 * MiB) },
      functionEnvironment: { splitter: { IMAGE_WIDTHS: '320' } },
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('answers 401 without a key and with a wrong one, on every route', async () => {
    const upload = `/v1/uploads/${ANY_UPLOAD_ID}`;
    const routes = [['GET', '/v1/jobs'], ['POST', '/v1/uploads'], ['GET', upload], ['POST', `${upload}/complete`], ['DELETE', upload], ['GET', '/v1/jobs/some-job'], ['GET', '/v1/jobs/some-job/timeline'], ['DELETE', '/v1/jobs/some-job'], ['GET', '/v1/openapi.json'], ['GET', '/nowhere']] as const;
    const { apiKey } = harness.stack.api;
    for (const [method, path] of routes) {
      for (const key of [null, 'wrong-key', `${apiKey}x`, apiKey.slice(0, -1), apiKey.slice(0, 8)]) {
        const response = await api(path, { method, key });
        expect(response.status, `${method} ${path} with ${key}`).toBe(401);
        expect(await response.json()).toMatchObject({ code: 'UNAUTHORIZED' });
      }
    }
    // The key itself, but not as a bearer credential.
    for (const authorization of [apiKey, `Basic ${apiKey}`, `Bearer ${apiKey} ${apiKey}`]) {
      expect((await fetch(`${harness.stack.api.endpoint}/v1/jobs`, { headers: { authorization } })).status, authorization).toBe(401);
    }
    expect((await api('/v1/jobs')).status).toBe(200);
  });

  it('keeps the key in the state folder, mode 0600', async () => {
    const { stat } = await import('node:fs/promises');
    expect((await readFile(harness.stack.api.keyFile, 'utf8')).trim()).toBe(harness.stack.api.apiKey);
    expect((await stat(harness.stack.api.keyFile)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(harness.stack.api.apiKey, 'base64url')).toHaveLength(32);
  });

  it('answers each bad request with its status and code', async () => {
    const cases: Array<[Promise<Response>, number, string]> = [
      [postJson('/v1/uploads', '{"filename": "a.mp4",'), 400, 'MALFORMED_JSON'],
      [postJson('/v1/uploads', { filename: 'a.mp4', bytes: 10, extra: true }), 400, 'INVALID_REQUEST'],
      [postJson('/v1/uploads', { filename: 'a.mp4', bytes: '10' }), 400, 'INVALID_REQUEST'],
      [postJson('/v1/uploads', { filename: '../x.mp4', bytes: 10 }), 400, 'INVALID_FILENAME'],
      [postJson('/v1/uploads', { filename: '/etc/passwd', bytes: 10 }), 400, 'INVALID_FILENAME'],
      [postJson('/v1/uploads', { filename: 'a\u0000b.mp4', bytes: 10 }), 400, 'INVALID_FILENAME'],
      [postJson('/v1/uploads', { filename: '..\\x.mp4', bytes: 10 }), 400, 'INVALID_FILENAME'],
      [postJson('/v1/uploads', { filename: 'a.mp4', bytes: 6 * 1024 ** 3 }), 413, 'TOO_LARGE'],
      [api('/v1/jobs/no-such-job'), 404, 'JOB_NOT_FOUND'],
      [api('/v1/jobs/no-such-job', { method: 'DELETE' }), 404, 'JOB_NOT_FOUND'],
      [api('/v1/jobs?limit=0'), 400, 'INVALID_REQUEST'],
      [api('/v1/jobs?cursor=not-a-cursor'), 400, 'INVALID_REQUEST'],
      [api(`/v1/jobs?cursor=${'a'.repeat(2000)}`), 400, 'INVALID_REQUEST'], // past Step Functions' 1024
      [api(`/v1/jobs/${'a'.repeat(300)}`), 404, 'JOB_NOT_FOUND'],
      [api('/v1/jobs?color=red'), 400, 'INVALID_REQUEST'],
      [api('/v1/uploads/not-an-id'), 400, 'INVALID_REQUEST'],
      [postJson(`/v1/uploads/${ANY_UPLOAD_ID}/complete?parts=1`, { parts: [{ partNumber: 1, etag: 'x' }] }), 404, 'UPLOAD_NOT_FOUND'],
      [api('/v1/elsewhere'), 404, 'NOT_FOUND'],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      const body = (await response.json()) as { code: string; message: unknown };
      expect({ status: response.status, code: body.code }, JSON.stringify(body)).toEqual({ status, code });
      expect(typeof body.message).toBe('string');
    }
  });

  let videoJobId: string;
  let imageJobId: string;

  it('turns a presigned single PUT into a job reported through to succeeded, with playback that works', async () => {
    const bytes = await readFile(await videoFixture('h264.mp4'));
    const created = CreateUploadResponse.parse(await (await postJson('/v1/uploads', { filename: 'clips/My Clip.mp4', bytes: bytes.length, contentType: 'video/mp4' })).json());
    if (created.method !== 'PUT') throw new Error(`expected a single PUT, got ${created.method}`);
    expect(created.key).toBe(`uploads/${created.uploadId}/My Clip.mp4`);
    expect(await uploadStatus(created.uploadId)).toMatchObject({ status: 'awaiting-upload', jobId: null });

    // Size and type are part of the signature: the store refuses anything else.
    const wrongSize = await fetch(created.url, { method: 'PUT', headers: withoutLength(created.headers), body: bytes.subarray(1) });
    expect(wrongSize.status).toBe(403);
    const wrongType = await fetch(created.url, { method: 'PUT', headers: { ...withoutLength(created.headers), 'Content-Type': 'image/png' }, body: bytes });
    expect(wrongType.status).toBe(403);
    const put = await fetch(created.url, { method: 'PUT', headers: withoutLength(created.headers), body: bytes });
    expect(put.status).toBe(200);
    // The URL is good for one upload: used again (still within its expiry) it would add a second
    // version of the key, a second job sharing this one's source. The store refuses it.
    const again = await fetch(created.url, { method: 'PUT', headers: withoutLength(created.headers), body: bytes });
    expect(again.status).toBe(412);
    // Dropping the condition does not get round it: it is part of the signature.
    const unconditional = Object.fromEntries(Object.entries(withoutLength(created.headers)).filter(([name]) => name.toLowerCase() !== 'if-none-match'));
    // (S3 says 403 SignatureDoesNotMatch; MinIO 400 for a signed header that is missing.)
    expect([400, 403]).toContain((await fetch(created.url, { method: 'PUT', headers: unconditional, body: bytes })).status);

    const landed = await until(() => uploadStatus(created.uploadId), (status) => status.status === 'succeeded', 180_000);
    expect(landed).toMatchObject({ key: created.key, status: 'succeeded' });
    videoJobId = landed.jobId!;
    const finished = await job(videoJobId);
    expect(finished).toMatchObject({ jobId: videoJobId, status: 'succeeded', sourceKey: created.key, mediaType: 'video' });
    expect(finished.progress.done).toBe(finished.progress.total);
    expect(finished.manifest?.jobId).toBe(videoJobId);
    const playback = finished.playback!;

    const master = await fetch(playback.hls!);
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toContain('mpegurl');
    expect(master.headers.get('access-control-allow-origin')).toBe('*');
    const mediaPlaylist = (await master.text()).split('\n').find((line) => line.trim() !== '' && !line.startsWith('#'))!;
    const media = await fetch(new URL(mediaPlaylist, playback.hls!));
    expect(media.status).toBe(200);
    const segment = (await media.text()).split('\n').find((line) => line.trim() !== '' && !line.startsWith('#'))!;
    expect((await fetch(new URL(segment, new URL(mediaPlaylist, playback.hls!)))).status).toBe(200);

    const mp4 = await fetch(playback.mp4[0]!.url, { headers: { Range: 'bytes=0-99' } });
    expect(mp4.status).toBe(206);
    expect(mp4.headers.get('content-range')).toMatch(/^bytes 0-99\//);
    expect((await mp4.arrayBuffer()).byteLength).toBe(100);
    const poster = await fetch(playback.poster!);
    expect(poster.status).toBe(200);
    expect(poster.headers.get('content-type')).toMatch(/^image\//);
    expect((await fetch(playback.manifest)).status).toBe(200);
    // The storyboard: its WebVTT, and a sprite it names (relative to the VTT, as players resolve it).
    const storyboard = await fetch(playback.storyboard!.vtt);
    expect(storyboard.headers.get('content-type')).toMatch(/^text\/vtt/);
    const spriteRef = (await storyboard.text()).split('\n').find((line) => line.includes('#xywh='))!;
    const sprite = await fetch(new URL(spriteRef.split('#')[0]!, playback.storyboard!.vtt));
    expect(sprite.status).toBe(200);
    expect(sprite.headers.get('content-type')).toBe('image/jpeg');
    expect(playback.storyboard!.sprites).toContain(sprite.url);

    // The token is the job's: another job's id, or a key outside the prefix, is refused.
    const otherToken = playback.hls!.replace(/\/play\/[^/]+\//, `/play/${playbackToken(harness.stack.api.apiKey, 'another-job')}/`);
    expect((await fetch(otherToken)).status).toBe(401);
    const forged = playback.hls!.replace(`/${videoJobId}/`, '/another-job/');
    const forgedAnswer = await fetch(forged);
    expect({ status: forgedAnswer.status, body: await forgedAnswer.json() }).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    const escaping = await fetch(playback.hls!.replace('/hls/master.m3u8', '/..%2F..%2Fsomething'));
    expect({ status: escaping.status, body: await escaping.json() }).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    // A path that is not a valid percent-encoding, under a valid token: no such file, not a 500.
    const malformed = await fetch(playback.hls!.replace('/hls/master.m3u8', '/%E0%A4%A'));
    expect({ status: malformed.status, body: await malformed.json() }).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  }, 240_000);

  it("draws the video job's fan-out from its execution history: a bar per chunk, side by side, inside the execution's span", async () => {
    const response = await api(`/v1/jobs/${videoJobId}/timeline`);
    expect(response.status).toBe(200);
    const timeline = JobTimeline.parse(await response.json());
    const manifest = (await job(videoJobId)).manifest!;

    expect(timeline).toMatchObject({ jobId: videoJobId, status: 'SUCCEEDED' });
    expect(timeline.lanes.map((lane) => lane.step)).toEqual(expect.arrayContaining(['split', 'encode', 'audio', 'resize', 'assemble']));
    const chunkSteps = manifest.timings.steps.filter((step) => step.step === 'encode' && step.label.startsWith('chunk'));
    const chunks = timeline.lanes.filter((lane) => lane.step === 'encode');
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(chunks).toHaveLength(chunkSteps.length);
    expect(chunks.map((lane) => lane.index)).toEqual(chunks.map((_, index) => index));
    const bars = timeline.lanes.flatMap((lane) => lane.bars);
    for (const lane of chunks) expect(lane.bars.map((bar) => bar.outcome)).toEqual(['succeeded']);
    for (const bar of bars) {
      expect(bar.startMs).toBeLessThanOrEqual(bar.endMs);
      expect(bar.endMs).toBeLessThanOrEqual(timeline.durationMs);
    }
    // The harness runs two functions at once: the first two chunks run side by side.
    const [first, second] = chunks.map((lane) => lane.bars[0]!);
    expect(Math.max(first!.startMs, second!.startMs)).toBeLessThan(Math.min(first!.endMs, second!.endMs));
    const split = timeline.lanes.find((lane) => lane.step === 'split')!.bars[0]!;
    const assemble = timeline.lanes.find((lane) => lane.step === 'assemble')!.bars[0]!;
    for (const lane of chunks) expect(lane.bars[0]!.startMs).toBeGreaterThanOrEqual(split.endMs);
    for (const lane of chunks) expect(lane.bars[0]!.endMs).toBeLessThanOrEqual(assemble.startMs);

    const unknown = await api('/v1/jobs/no-such-job/timeline');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'JOB_NOT_FOUND' });
  });

  it('turns a multipart upload of a file over the threshold into a succeeded job', async () => {
    const bytes = await readFile(noisePng);
    expect(bytes.length).toBeGreaterThan(6 * MiB);
    const created = CreateUploadResponse.parse(await (await postJson('/v1/uploads', { filename: 'noise.png', bytes: bytes.length, contentType: 'image/png' })).json());
    if (created.method !== 'MULTIPART') throw new Error(`expected a multipart upload, got ${created.method}`);
    expect(created.parts.map((part) => part.bytes)).toEqual([5 * MiB, bytes.length - 5 * MiB]);

    // A part of another size than signed is refused (MinIO answers 400 or 403, by where it notices).
    const shortPart = await fetch(created.parts[0]!.url, { method: 'PUT', body: bytes.subarray(0, 1000) });
    expect([400, 403], await shortPart.text()).toContain(shortPart.status);
    const parts = [];
    let offset = 0;
    for (const part of created.parts) {
      const response = await fetch(part.url, { method: 'PUT', body: bytes.subarray(offset, offset + part.bytes) });
      expect(response.status, await response.text()).toBe(200);
      parts.push({ partNumber: part.partNumber, etag: response.headers.get('etag')! });
      offset += part.bytes;
    }
    expect(await uploadStatus(created.uploadId)).toMatchObject({ status: 'awaiting-upload' });
    // Leaving out a part would complete a shorter file than the one declared (S3 completes any subset): refused.
    const short = await postJson(created.complete.url, { parts: parts.slice(0, 1) });
    expect({ status: short.status, body: await short.json() }).toMatchObject({ status: 400, body: { code: 'UPLOAD_INCOMPLETE' } });
    expect(await uploadStatus(created.uploadId)).toMatchObject({ status: 'awaiting-upload' });
    const completed = await postJson(created.complete.url, { parts: [...parts].reverse() });
    expect(completed.status, await completed.clone().text()).toBe(200);
    expect(UploadStatus.parse(await completed.json()).key).toBe(created.key);

    const landed = await until(() => uploadStatus(created.uploadId), (status) => status.status === 'succeeded', 180_000);
    expect(landed.status).toBe('succeeded');
    imageJobId = landed.jobId!;
    const finished = await job(imageJobId);
    expect(finished).toMatchObject({ status: 'succeeded', mediaType: 'image' });
    const image = finished.playback!.images[0]!;
    expect((await fetch(image.url)).status).toBe(200);
    // This job's token opens this job's files only: the video job's manifest exists, and is refused.
    const crossJob = await fetch(finished.playback!.manifest.replace(`/${imageJobId}/`, `/${videoJobId}/`));
    expect(crossJob.status).toBe(401);
  }, 240_000);

  it('aborts a multipart upload in progress', async () => {
    const created = CreateUploadResponse.parse(await (await postJson('/v1/uploads', { filename: 'big.mov', bytes: 7 * MiB })).json());
    expect(created.method).toBe('MULTIPART');
    if (created.method !== 'MULTIPART') return;
    expect((await api(created.abort.url, { method: 'DELETE' })).status).toBe(204);
    expect((await api(created.abort.url, { method: 'DELETE' })).status).toBe(404);
  });

  it('lists jobs newest first, page by page', async () => {
    const page = JobList.parse(await (await api('/v1/jobs?limit=2')).json());
    expect(page.jobs.map((listed) => listed.jobId)).toEqual([imageJobId, videoJobId]);
    const first = JobList.parse(await (await api('/v1/jobs?limit=1')).json());
    expect(first.jobs.map((listed) => listed.jobId)).toEqual([imageJobId]);
    expect(first.nextCursor).not.toBeNull();
    const second = JobList.parse(await (await api(`/v1/jobs?limit=1&cursor=${encodeURIComponent(first.nextCursor!)}`)).json());
    expect(second.jobs.map((listed) => listed.jobId)).toEqual([videoJobId]);
    expect(second.jobs[0]).toMatchObject({ status: 'succeeded', mediaType: 'video', source: { bytes: expect.any(Number), durationSeconds: expect.any(Number), width: expect.any(Number) } });
  });

  it("deletes a job's renditions and source versions, and nothing else", async () => {
    const { buckets } = harness.stack.deployment;
    const imageSource = (await job(imageJobId)).sourceKey!;
    const videoSource = (await job(videoJobId)).sourceKey!;
    const videoRenditions = await keysUnder(harness.stack, `${videoJobId}/`);
    expect(await keysUnder(harness.stack, `${imageJobId}/`)).not.toEqual([]);
    expect(await versionsOf(buckets.input, imageSource)).not.toEqual([]);

    expect((await api(`/v1/jobs/${imageJobId}`, { method: 'DELETE' })).status).toBe(204);

    expect(await keysUnder(harness.stack, `${imageJobId}/`)).toEqual([]);
    expect(await versionsOf(buckets.input, imageSource)).toEqual([]);
    expect(await keysUnder(harness.stack, `${videoJobId}/`)).toEqual(videoRenditions);
    expect(await versionsOf(buckets.input, videoSource)).toHaveLength(1);
    const gone = await api(`/v1/jobs/${imageJobId}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect((await api(`/v1/jobs/${imageJobId}`, { method: 'DELETE' })).status).toBe(404);
    const listed = JobList.parse(await (await api('/v1/jobs')).json());
    expect(listed.jobs.map((entry) => entry.jobId)).toEqual([videoJobId]);
  });

  it('refuses to delete a job while its execution runs (409 JOB_NOT_FINISHED), and deletes nothing', async () => {
    // A second API over the stack's own buckets, its executions held in Split (startHeldApi).
    const { deployment } = harness.stack;
    const { sfn, heldApi, splitStarted, close } = await startHeldApi(deployment.buckets);
    const deleteHeld = () => fetch(`${heldApi.endpoint}/v1/jobs/held-job`, { method: 'DELETE', headers: { authorization: `Bearer ${heldApi.apiKey}` } });
    try {
      const input: ExecutionInput = {
        jobId: 'held-job',
        upload: { bucket: deployment.buckets.input, key: 'uploads/00000000-0000-4000-8000-000000000000/held.mp4', size: 1000, etag: 'held' },
        receivedAt: new Date().toISOString(),
      };
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: deployment.stateMachine.arn, name: input.jobId, input: JSON.stringify(input) }));
      await splitStarted;
      const videoRenditions = await keysUnder(harness.stack, `${videoJobId}/`);

      const whileRunning = await deleteHeld();

      expect(whileRunning.status).toBe(409);
      expect(await whileRunning.json()).toMatchObject({ code: 'JOB_NOT_FINISHED' });
      expect(await keysUnder(harness.stack, `${videoJobId}/`)).toEqual(videoRenditions);
      // Once it has ended, the same request is no longer refused for running (here: nothing left to delete).
      await sfn.send(new StopExecutionCommand({ executionArn }));
      const afterStop = await deleteHeld();
      expect({ status: afterStop.status, body: await afterStop.json() }).toMatchObject({ status: 404, body: { code: 'JOB_NOT_FOUND' } });
    } finally {
      await close();
    }
  });

  it('reports an upload queued, then its job running, then as its manifest says; DELETE then removes every version of the source and no neighbour', async () => {
    // Buckets of its own, which the stack does not watch, behind a second API whose executions
    // are held in Split (startHeldApi): each status is certain, not raced.
    const { deployment, s3 } = harness.stack;
    const buckets = { input: 'api-held-input', renditions: 'api-held-renditions' };
    for (const bucket of Object.values(buckets)) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: buckets.input, VersioningConfiguration: { Status: 'Enabled' } }));
    const { sfn, heldApi, splitStarted, close } = await startHeldApi(buckets);
    const held = (path: string, method = 'GET') => fetch(`${heldApi.endpoint}${path}`, { method, headers: { authorization: `Bearer ${heldApi.apiKey}` } });
    const put = (Key: string, Body: string, Bucket = buckets.input) => s3.send(new PutObjectCommand({ Bucket, Key, Body }));
    try {
      const uploadId = '0f5e8a2c-7d41-4c6b-9e3a-2b1d0c9f8e7a';
      const key = `uploads/${uploadId}/held.mp4`;
      await put(key, 'an earlier version');
      await put(key, 'the bytes');
      // Neighbours: a key the source is a prefix of, and another upload.
      const neighbours = [`${key}.keep`, `uploads/${ANY_UPLOAD_ID}/held.mp4`];
      for (const neighbour of neighbours) await put(neighbour, 'keep me');

      const landed = UploadStatus.parse(await (await held(`/v1/uploads/${uploadId}`)).json());
      expect(landed).toMatchObject({ key, status: 'queued', jobId: expect.any(String) });
      const jobId = landed.jobId!;

      const input: ExecutionInput = { jobId, upload: { bucket: buckets.input, key, size: 9 }, receivedAt: new Date().toISOString() };
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: deployment.stateMachine.arn, name: jobId, input: JSON.stringify(input) }));
      await splitStarted;
      expect(Job.parse(await (await held(`/v1/jobs/${jobId}`)).json())).toMatchObject({ jobId, status: 'running', sourceKey: key });
      // Listed, a running job says what its page says: its source and its progress (the dashboard's list shows them).
      const listedRunning = JobList.parse(await (await held('/v1/jobs')).json()).jobs.find((listed) => listed.jobId === jobId);
      expect(listedRunning).toMatchObject({ status: 'running', sourceKey: key, progress: { done: 0, total: 0 } });
      expect(UploadStatus.parse(await (await held(`/v1/uploads/${uploadId}`)).json()).status).toBe('running');
      await sfn.send(new StopExecutionCommand({ executionArn }));

      // The manifest stands for how the job ended: here, rejected with the input's fault.
      const rejected: Manifest = {
        schemaVersion: 1, jobId, status: 'rejected', source: input.upload, error: { code: 'CORRUPT_INPUT', message: 'moov atom not found' }, renditions: [],
        timings: { receivedAt: input.receivedAt, finishedAt: new Date().toISOString(), totalMs: 1, queuedMs: 0, splitMs: 1, assembleMs: 0, steps: [] },
      };
      await put(`${jobId}/manifest.json`, JSON.stringify(rejected), buckets.renditions);
      await put('another-job/manifest.json', '{}', buckets.renditions);
      expect(Job.parse(await (await held(`/v1/jobs/${jobId}`)).json())).toMatchObject({ status: 'rejected', error: { code: 'CORRUPT_INPUT' } });
      expect(UploadStatus.parse(await (await held(`/v1/uploads/${uploadId}`)).json()).status).toBe('rejected');

      expect((await held(`/v1/jobs/${jobId}`, 'DELETE')).status).toBe(204);

      const inputVersions = await harness.stack.s3.send(new ListObjectVersionsCommand({ Bucket: buckets.input }));
      expect([...(inputVersions.Versions ?? []), ...(inputVersions.DeleteMarkers ?? [])].map((entry) => entry.Key).sort()).toEqual(neighbours.sort());
      const renditions = await s3.send(new ListObjectsV2Command({ Bucket: buckets.renditions }));
      expect((renditions.Contents ?? []).map((entry) => entry.Key)).toEqual(['another-job/manifest.json']);
    } finally {
      await close();
    }
  });

  it('serves its OpenAPI document', async () => {
    const document = (await (await api('/v1/openapi.json')).json()) as { paths: object };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/uploads', '/v1/jobs/{jobId}']));
  });

  it('fanout upload --api sends a file over the threshold in parts through the API and follows its job to succeeded', async () => {
    // The stack.json `fanout dev` writes, naming this stack (alive: it is this process).
    await writeConnection(harness.stateDir, connectionOf(harness.stack));

    const result = await runFanout(['upload', noisePng, '--api', '--json'], { FANOUT_STATE_DIR: harness.stateDir });

    expect(result.code, result.stderr).toBe(0);
    const manifest = Manifest.parse(JSON.parse(result.stdout));
    expect(manifest).toMatchObject({ status: 'succeeded', source: { key: expect.stringMatching(/^uploads\/[0-9a-f-]{36}\/noise\.png$/) } });
    const listed = JobList.parse(await (await api('/v1/jobs?limit=1')).json());
    expect(listed.jobs[0]).toMatchObject({ jobId: manifest.jobId, status: 'succeeded' });
    // Its parts were completed, not left behind.
    const pending = await harness.stack.s3.send(new ListMultipartUploadsCommand({ Bucket: harness.stack.deployment.buckets.input, Prefix: manifest.source.key }));
    expect(pending.Uploads ?? []).toEqual([]);
  }, 180_000);

  it('fanout upload --api aborts its multipart upload on Ctrl-C, leaving no parts behind', async () => {
    // The real API and storage, seen through a proxy that rewrites the part URLs to itself and
    // holds every part: the upload is mid-flight, for certain, when the test presses Ctrl-C.
    const firstPart = Promise.withResolvers<void>();
    let uploadId: string | undefined;
    const proxy = createServer((request, response) => {
      void (async () => {
        if (request.url?.startsWith('/held-part')) {
          firstPart.resolve();
          request.resume(); // never answered: the CLI is interrupted while it waits
          return;
        }
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(Buffer.from(chunk));
        const answer = await fetch(`${harness.stack.api.endpoint}${request.url}`, {
          method: request.method,
          headers: { authorization: request.headers.authorization ?? '', 'content-type': request.headers['content-type'] ?? 'application/json' },
          ...(chunks.length > 0 && { body: Buffer.concat(chunks) }),
        });
        let body = await answer.text();
        if (request.method === 'POST' && request.url === '/v1/uploads') {
          const created = CreateUploadResponse.parse(JSON.parse(body));
          if (created.method !== 'MULTIPART') throw new Error('expected a multipart upload');
          uploadId = created.uploadId;
          body = JSON.stringify({ ...created, parts: created.parts.map((part) => ({ ...part, url: `http://${request.headers.host}/held-part/${part.partNumber}` })) });
        }
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(body);
      })();
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const stateDir = await mkdtemp(join(workDir, 'state-'));
    const address = proxy.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
    await writeConnection(stateDir, { ...connectionOf(harness.stack), apiEndpoint: `http://127.0.0.1:${address.port}` });
    const child = spawn(process.execPath, [fanoutCli, 'upload', noisePng, '--api'], { env: { ...process.env, FANOUT_STATE_DIR: stateDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const pendingUploads = async () =>
      (await harness.stack.s3.send(new ListMultipartUploadsCommand({ Bucket: harness.stack.deployment.buckets.input, Prefix: `uploads/${uploadId}/noise.png` }))).Uploads ?? [];
    try {
      await Promise.race([firstPart.promise, exited.then(() => Promise.reject(new Error(`the CLI ended early: ${stderr}`)))]);
      expect(await pendingUploads()).toHaveLength(1);

      child.kill('SIGINT');

      expect(await exited, stderr).toBe(130);
      expect(await pendingUploads()).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
