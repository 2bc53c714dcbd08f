/**
 * `fanout upload --api`: a file sent through the job API as an app would send it
 * (shared/upload-through-api.ts), read from disk a part at a time and PUT with fetch. Ctrl-C
 * stops it; a multipart upload in progress is then aborted, leaving no parts behind.
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { JobApiClient } from '../../shared/job-api-client.ts';
import { uploadThroughApi as sendThroughApi, type PutObject } from '../../shared/upload-through-api.ts';
import { checkInputFile } from './check-input-file.ts';
import { onInterrupt } from './on-interrupt.ts';
import { formatBytes } from '../../shared/format-bytes.ts';
import { startProgress } from './progress.ts';

export interface ApiUploadOptions {
  apiEndpoint: string;
  apiKey: string;
  filePath: string;
  quiet?: boolean;
  partConcurrency?: number;
  retries?: number;
}

export async function uploadThroughApi(options: ApiUploadOptions): Promise<{ uploadId: string; key: string; jobId: string; uploadedAt: number }> {
  await checkInputFile(options.filePath);
  const { size } = await stat(options.filePath);
  const name = basename(options.filePath);
  const progress = options.quiet ? undefined : startProgress(`upload ${name}`, 'bytes');
  const stopped = new AbortController();
  let uploading: Promise<unknown> | undefined;
  // Ctrl-C: stop, and wait until the upload has aborted its multipart upload, before exiting.
  const interrupt = onInterrupt(async () => {
    stopped.abort();
    await uploading?.catch(() => undefined);
  });
  const file = await open(options.filePath, 'r');
  try {
    const source = { name, bytes: size, read: (offset: number, length: number) => readSlice(file, offset, length) };
    const landed = await (uploading = sendThroughApi(new JobApiClient(options.apiEndpoint, () => options.apiKey), source, putWithFetch, {
      signal: stopped.signal,
      ...(options.partConcurrency !== undefined && { partConcurrency: options.partConcurrency }),
      ...(options.retries !== undefined && { retries: options.retries }),
      onProgress: (sent, total) => progress?.update(sent, total, `${formatBytes(sent)} of ${formatBytes(total)}`),
    }));
    return { ...landed, uploadedAt: Date.now() };
  } finally {
    interrupt.dispose();
    progress?.stop();
    await file.close();
  }
}

/** fetch reports no upload progress: a request counts when storage has taken it. */
export const putWithFetch: PutObject<Buffer> = async ({ url, body, headers, signal, onProgress }) => {
  // fetch sets Content-Length from the body itself.
  const sendable = Object.fromEntries(Object.entries(headers).filter(([header]) => header.toLowerCase() !== 'content-length'));
  const response = await fetch(url, { method: 'PUT', headers: sendable, body, signal });
  const text = await response.text();
  if (response.ok) onProgress(body.length);
  return { status: response.status, etag: response.headers.get('etag'), text };
};

async function readSlice(file: Awaited<ReturnType<typeof open>>, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new Error(`the file changed while it was uploaded: read ${bytesRead} of ${length} bytes at ${position}`);
  return buffer;
}
