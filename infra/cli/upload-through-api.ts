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
import type { z } from 'zod';
import { ApiError, CreateUploadResponse, UploadStatus } from '../../shared/contracts/api.ts';
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
  const api = new ApiClient(options.apiEndpoint, options.apiKey);
  const created = await api.call('/v1/uploads', CreateUploadResponse, { method: 'POST', json: { filename: basename(options.filePath), bytes: size } });
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
    if (created.method === 'MULTIPART') await api.send(created.abort.url, { method: 'DELETE' }).catch(() => undefined);
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
    const completed = await api.call(created.complete.url, UploadStatus, { method: 'POST', json: { parts: etags } });
    return { ...(await landed(api, created.uploadId, completed)), uploadedAt: Date.now() };
  } finally {
    interrupt.dispose();
    progress?.stop();
    await file.close();
  }
}

/** The landed upload's key and job id (known as soon as the object exists: the job id is its identity). */
async function landed(api: ApiClient, uploadId: string, status?: UploadStatus): Promise<{ uploadId: string; key: string; jobId: string }> {
  const known = status ?? (await api.call(`/v1/uploads/${uploadId}`, UploadStatus, { method: 'GET' }));
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

/** The API's answers parsed with its contract; its errors become `CODE: message`. */
class ApiClient {
  private readonly endpoint: string;
  private readonly apiKey: string;

  constructor(endpoint: string, apiKey: string) {
    this.endpoint = endpoint;
    this.apiKey = apiKey;
  }

  async call<Schema extends z.ZodType>(path: string, schema: Schema, init: { method: string; json?: unknown }): Promise<z.infer<Schema>> {
    return schema.parse(JSON.parse(await this.send(path, init)));
  }

  /** The answer's body, once the API has said yes. */
  async send(path: string, init: { method: string; json?: unknown }): Promise<string> {
    const response = await fetch(new URL(path, this.endpoint), {
      method: init.method,
      headers: { authorization: `Bearer ${this.apiKey}`, ...(init.json !== undefined && { 'content-type': 'application/json' }) },
      ...(init.json !== undefined && { body: JSON.stringify(init.json) }),
    });
    const text = await response.text();
    if (response.ok) return text;
    const problem = ApiError.safeParse(safeJson(text));
    throw new Error(problem.success ? `${problem.data.code}: ${problem.data.message}` : `${init.method} ${path}: the API answered ${response.status}`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
