/**
 * An upload as an app makes one through the job API, for the CLI (`fanout upload --api`) and
 * the dashboard alike: POST /v1/uploads, then the presigned PUT or the multipart parts (a few at
 * once, each retried), then the complete call. The bytes go straight to storage, never through
 * the API. A multipart upload that is stopped, or whose part fails past its retries, is aborted
 * (DELETE /v1/uploads/{id}), so no parts are left behind in the bucket. How bytes are read and
 * PUT is the host's: a file handle and fetch in Node, a File and XMLHttpRequest (the one browser
 * API that reports upload progress) in the page.
 */
import pLimit from 'p-limit';
import pRetry, { AbortError } from 'p-retry';
import type { UploadStatus } from './contracts/api.ts';
import type { JobApiClient } from './job-api-client.ts';

export interface UploadSource<Body> {
  /** The user's file name: the API sanitises it into the key. */
  name: string;
  bytes: number;
  /** Signed into the PUT when given: storage then refuses another type. */
  contentType?: string;
  read(offset: number, length: number): Promise<Body>;
}

export interface PutRequest<Body> {
  url: string;
  body: Body;
  headers: Record<string, string>;
  signal: AbortSignal;
  /** Bytes of this request sent so far. */
  onProgress(sent: number): void;
}

/** Storage's answer to a PUT, whatever its status. */
export interface PutAnswer {
  status: number;
  etag: string | null;
  text: string;
}

export type PutObject<Body> = (request: PutRequest<Body>) => Promise<PutAnswer>;

export interface UploadOptions {
  signal?: AbortSignal;
  /** Parts sent at once: each holds a part's bytes in memory (64 MiB by the API's default). */
  partConcurrency?: number;
  /** Tries after the first, per part and for the single PUT. */
  retries?: number;
  /** Bytes stored so far, of the whole file; a retried request's bytes count again from zero. */
  onProgress?(sent: number, total: number): void;
  /** Called once the API has handed out the upload: its id is what `GET /v1/uploads/{id}` knows. */
  onCreated?(upload: { uploadId: string; key: string }): void;
}

export interface LandedUpload {
  uploadId: string;
  key: string;
  /** The job the landed object starts: its id is the object's identity, known at once. */
  jobId: string;
}

const DEFAULT_PART_CONCURRENCY = 4;
const DEFAULT_RETRIES = 4;

export async function uploadThroughApi<Body>(api: JobApiClient, source: UploadSource<Body>, put: PutObject<Body>, options: UploadOptions = {}): Promise<LandedUpload> {
  const created = await api.createUpload({ filename: source.name, bytes: source.bytes, ...(source.contentType && { contentType: source.contentType }) });
  options.onCreated?.({ uploadId: created.uploadId, key: created.key });
  const stopped = new AbortController();
  const stop = () => stopped.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();

  // Each request's bytes so far, by part number (0 for the single PUT).
  const sentByRequest = new Map<number, number>();
  const progress = (request: number) => (sent: number) => {
    sentByRequest.set(request, sent);
    let total = 0;
    for (const bytes of sentByRequest.values()) total += bytes;
    options.onProgress?.(total, source.bytes);
  };
  // Stopped (by the caller, or another part failed for good): no more tries.
  const sendWithRetries = (request: number, url: string, body: Body, headers: Record<string, string>) =>
    pRetry(
      async () => {
        progress(request)(0);
        return accepted(await put({ url, body, headers, signal: stopped.signal, onProgress: progress(request) }), request === 0);
      },
      { retries: options.retries ?? DEFAULT_RETRIES, minTimeout: 200, signal: stopped.signal },
    );

  try {
    if (created.method === 'PUT') {
      await sendWithRetries(0, created.url, await source.read(0, source.bytes), created.headers);
      return await landed(api, created.uploadId);
    }
    const sendPart = pLimit(options.partConcurrency ?? DEFAULT_PART_CONCURRENCY);
    let etags;
    try {
      etags = await Promise.all(
        created.parts.map((part) =>
          sendPart(async () => {
            const body = await source.read((part.partNumber - 1) * created.partBytes, part.bytes);
            return { partNumber: part.partNumber, etag: await sendWithRetries(part.partNumber, part.url, body, {}) };
          }),
        ),
      );
    } catch (error) {
      sendPart.clearQueue();
      stopped.abort();
      await api.abortUpload(created.abort.url).catch(() => undefined);
      throw error;
    }
    let completed;
    try {
      completed = await api.completeUpload(created.complete.url, etags);
    } catch (error) {
      // Refused (or unanswered): abort, so its parts do not wait in the bucket for the lifecycle rule.
      // Had it completed after all, the abort finds nothing to abort and the object stands.
      await api.abortUpload(created.abort.url).catch(() => undefined);
      throw error;
    }
    return await landed(api, created.uploadId, completed);
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

/** A PUT's ETag once storage took it; a 4xx is final (the signature or the size is wrong), anything else is tried again. */
function accepted(answer: PutAnswer, single: boolean): string {
  if (answer.status >= 200 && answer.status < 300) return answer.etag ?? '';
  // The single PUT's URL makes one object (If-None-Match: *): a retry after a try whose answer
  // was lost finds its own upload there. The key is this upload's alone.
  if (single && answer.status === 412) return '';
  const error = new Error(`PUT to storage answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  const final = answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429;
  throw final ? new AbortError(error) : error;
}

/** The landed upload's key and job id (known as soon as the object exists: the job id is its identity). */
async function landed(api: JobApiClient, uploadId: string, status?: UploadStatus): Promise<LandedUpload> {
  const known = status ?? (await api.upload(uploadId));
  if (known.jobId === null) throw new Error(`upload ${uploadId}: the API does not see the uploaded object at ${known.key}`);
  return { uploadId, key: known.key, jobId: known.jobId };
}
