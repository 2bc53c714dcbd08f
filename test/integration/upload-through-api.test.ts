/**
 * The upload core the CLI and the dashboard share (shared/upload-through-api.ts), against the
 * local API on a real MinIO, with PUTs that go wrong the way networks and storage do: a part
 * storage refuses for good aborts the multipart upload (no parts left in the bucket), and a
 * retried request's bytes count again from zero (a progress bar never runs past the file).
 */
import { randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putWithFetch } from '../../infra/cli/upload-through-api.ts';
import { JobApiClient } from '../../shared/job-api-client.ts';
import { uploadThroughApi, type PutObject } from '../../shared/upload-through-api.ts';
import { startTestStack, type TestStack } from '../support/pipeline-harness.ts';

const MiB = 1024 * 1024;

let harness: TestStack;
let api: JobApiClient;

const source = (name: string, bytes: Buffer) => ({ name, bytes: bytes.length, read: async (offset: number, length: number) => bytes.subarray(offset, offset + length) });

describe('uploadThroughApi against the local API and MinIO', () => {
  beforeAll(async () => {
    harness = await startTestStack({
      storage: 'minio',
      // Low enough that 7 MiB goes in two parts (S3's smallest part is 5 MiB).
      apiEnvironment: { MULTIPART_THRESHOLD_BYTES: String(6 * MiB), MULTIPART_PART_BYTES: String(5 * MiB) },
    });
    api = new JobApiClient(harness.stack.api.endpoint, () => harness.stack.api.apiKey);
  }, 120_000);
  afterAll(async () => {
    await harness?.stop();
  });

  it('aborts the multipart upload when storage refuses a part for good: no parts are left in the bucket', async () => {
    const bytes = randomBytes(7 * MiB);
    // Part 2's URL with its signature spoiled: MinIO answers 403, which no retry mends.
    const spoilPartTwo: PutObject<Buffer> = (request) =>
      putWithFetch(new URL(request.url).searchParams.get('partNumber') === '2' ? { ...request, url: request.url.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=x') } : request);
    let created: { uploadId: string; key: string } | undefined;

    await expect(uploadThroughApi(api, source('refused.mov', bytes), spoilPartTwo, { retries: 1, onCreated: (upload) => (created = upload) })).rejects.toThrow(/PUT to storage answered 403/);

    expect(created).toBeDefined();
    const pending = await harness.stack.s3.send(new ListMultipartUploadsCommand({ Bucket: harness.stack.deployment.buckets.input, Prefix: created!.key }));
    expect(pending.Uploads ?? []).toEqual([]);
  }, 60_000);

  it('aborts the multipart upload when the API refuses to complete it: no parts are left in the bucket', async () => {
    const bytes = randomBytes(7 * MiB);
    // Every part lands, but one ETag is spoiled on its way back: MinIO refuses the completion.
    const spoilFirstEtag: PutObject<Buffer> = async (request) => {
      const answer = await putWithFetch(request);
      return new URL(request.url).searchParams.get('partNumber') === '1' ? { ...answer, etag: '"0123456789abcdef0123456789abcdef"' } : answer;
    };
    let created: { uploadId: string; key: string } | undefined;

    await expect(uploadThroughApi(api, source('uncompleted.mov', bytes), spoilFirstEtag, { onCreated: (upload) => (created = upload) })).rejects.toThrow();

    const pending = await harness.stack.s3.send(new ListMultipartUploadsCommand({ Bucket: harness.stack.deployment.buckets.input, Prefix: created!.key }));
    expect(pending.Uploads ?? []).toEqual([]);
  }, 60_000);

  it('counts a retried PUT from zero: the bytes of a try that failed are not added to the one that succeeded', async () => {
    const bytes = randomBytes(64 * 1024);
    let tries = 0;
    // The first try gets half its bytes out, then storage answers 503 (a retry can help).
    const failFirstTry: PutObject<Buffer> = async (request) => {
      if (tries++ > 0) return putWithFetch(request);
      request.onProgress(bytes.length / 2);
      return { status: 503, etag: null, text: 'SlowDown' };
    };
    const reported: Array<[number, number]> = [];

    const landed = await uploadThroughApi(api, source('retried.png', bytes), failFirstTry, { onProgress: (sent, total) => reported.push([sent, total]) });

    expect(landed.jobId).toEqual(expect.any(String));
    expect(tries).toBe(2);
    expect(reported.map(([sent]) => sent)).toEqual([0, bytes.length / 2, 0, bytes.length]);
    for (const [sent, total] of reported) expect(sent).toBeLessThanOrEqual(total);
  }, 60_000);
});
