/**
 * `fanout upload --api`: an upload as an app's backend and browser make one, through the job
 * API. POST /v1/uploads, then the presigned PUT or the multipart parts (a few at once, each
 * retried), then the complete call; the bytes go straight to storage, never through the API.
 * Ctrl-C, or a part that fails past its retries, aborts a multipart upload in progress
 * (DELETE /v1/uploads/{id}), so no parts are left behind in the bucket.
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import pLimit from 'p-limit';
import pRetry, { AbortError } from 'p-retry';
import type { UploadStatus } from '../../shared/contracts/api.ts';
import { JobApiClient } from '../../shared/job-api-client.ts';
import { checkInputFile } from './check-input-file.ts';
import { onInterrupt } from './on-interrupt.ts';
import { formatBytes, startProgress } from './progress.ts';

export interface ApiUploadOptions {
  apiEndpoint: string;
  apiKey: string;
  filePath: string;
  quiet?: boolean;
  /** Parts sent at once: each holds a part's bytes in memory (64 MiB by the API's default). */
  partConcurrency?: number;
  /** Tries after the first, per part and for the single PUT. */
  retries?: number;
}

const DEFAULT_PART_CONCURRENCY = 4;
const DEFAULT_RETRIES = 4;

export async function uploadThroughApi(options: ApiUploadOptions): Promise<{ uploadId: string; key: string; jobId: string; uploadedAt: number }> {
  await checkInputFile(options.filePath);
  const { size } = await stat(options.filePath);
  const api = new JobApiClient(options.apiEndpoint, () => options.apiKey);
  const created = await api.createUpload({ filename: basename(options.filePath), bytes: size });
  const progress = options.quiet ? undefined : startProgress(`upload ${basename(options.filePath)}`, 'bytes');
  const stopped = new AbortController();
  // Stopped (Ctrl-C, or another part failed for good): no more tries.
  const retry = <T>(work: () => Promise<T>) => pRetry(work, { retries: options.retries ?? DEFAULT_RETRIES, minTimeout: 200, signal: stopped.signal });
  const file = await open(options.filePath, 'r');
  let sent = 0;
  const sentBytes = (bytes: number) => {
    sent += bytes;
    progress?.update(sent, size, `${formatBytes(sent)} of ${formatBytes(size)}`);
  };
  const abortMultipart = async () => {
    if (created.method === 'MULTIPART') await api.abortUpload(created.abort.url).catch(() => undefined);
  };
  const interrupt = onInterrupt(async () => {
    stopped.abort();
    await abortMultipart();
  });
  try {
    if (created.method === 'PUT') {
      const body = await readSlice(file, 0, size);
      await retry(() => put(created.url, body, created.headers, stopped.signal));
      sentBytes(size);
      return { ...(await landed(api, created.uploadId)), uploadedAt: Date.now() };
    }
    const sendPart = pLimit(options.partConcurrency ?? DEFAULT_PART_CONCURRENCY);
    let etags;
    try {
      etags = await Promise.all(
        created.parts.map((part) =>
          sendPart(async () => {
            const body = await readSlice(file, (part.partNumber - 1) * created.partBytes, part.bytes);
            const etag = await retry(() => put(part.url, body, {}, stopped.signal));
            sentBytes(part.bytes);
            return { partNumber: part.partNumber, etag };
          }),
        ),
      );
    } catch (error) {
      sendPart.clearQueue();
      stopped.abort();
      await abortMultipart();
      throw error;
    }
    const completed = await api.completeUpload(created.complete.url, etags);
    return { ...(await landed(api, created.uploadId, completed)), uploadedAt: Date.now() };
  } finally {
    interrupt.dispose();
    progress?.stop();
    await file.close();
  }
}

/** The landed upload's key and job id (known as soon as the object exists: the job id is its identity). */
async function landed(api: JobApiClient, uploadId: string, status?: UploadStatus): Promise<{ uploadId: string; key: string; jobId: string }> {
  const known = status ?? (await api.upload(uploadId));
  if (known.jobId === null) throw new Error(`upload ${uploadId}: the API does not see the uploaded object at ${known.key}`);
  return { uploadId, key: known.key, jobId: known.jobId };
}

/** One presigned PUT; a 4xx is final (the signature or the size is wrong), anything else is tried again. */
async function put(url: string, body: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<string> {
  // fetch sets Content-Length from the body itself.
  const sendable = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
  const response = await fetch(url, { method: 'PUT', headers: sendable, body, signal });
  if (response.ok) {
    await response.body?.cancel();
    return response.headers.get('etag') ?? '';
  }
  // The single PUT's URL makes one object (If-None-Match: *): a retry after a try whose answer
  // was lost finds its own upload there. The key is this upload's alone.
  if (response.status === 412) {
    await response.body?.cancel();
    return '';
  }
  const error = new Error(`PUT to storage answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  throw response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429 ? new AbortError(error) : error;
}

async function readSlice(file: Awaited<ReturnType<typeof open>>, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new Error(`the file changed while it was uploaded: read ${bytesRead} of ${length} bytes at ${position}`);
  return buffer;
}
