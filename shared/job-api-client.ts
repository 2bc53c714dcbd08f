/**
 * A client of the job API, for the CLI (`fanout upload --api`) and the dashboard alike: fetch
 * only, so it runs in Node and in the browser. Answers are parsed with the API's own contract;
 * an error answer becomes a JobApiError with the API's stable code.
 */
import type { z } from 'zod';
import {
  ApiError,
  CreateUploadResponse,
  Job,
  JobList,
  JobTimeline,
  UploadStatus,
  type CompleteUploadRequest,
  type CreateUploadRequest,
} from './contracts/api.ts';

export class JobApiError extends Error {
  override readonly name = 'JobApiError';
  /** The API's code, or HTTP_<status> when the answer was not the API's own (a proxy, a gateway). */
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(`${code}: ${message}`);
    this.code = code;
    this.status = status;
  }
}

/** The bearer token for the next call: the local key, or a fresh OIDC access token. */
export type TokenSource = () => string | Promise<string>;

export class JobApiClient {
  private readonly endpoint: string;
  private readonly token: TokenSource;

  /** `endpoint` is the API's base URL, without `/v1`. */
  constructor(endpoint: string, token: TokenSource) {
    this.endpoint = endpoint;
    this.token = token;
  }

  listJobs(query: { limit?: number; cursor?: string } = {}): Promise<JobList> {
    const params = new URLSearchParams();
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    const search = params.size > 0 ? `?${params}` : '';
    return this.call(`/v1/jobs${search}`, JobList, { method: 'GET' });
  }

  job(jobId: string): Promise<Job> {
    return this.call(`/v1/jobs/${encodeURIComponent(jobId)}`, Job, { method: 'GET' });
  }

  timeline(jobId: string): Promise<JobTimeline> {
    return this.call(`/v1/jobs/${encodeURIComponent(jobId)}/timeline`, JobTimeline, { method: 'GET' });
  }

  async deleteJob(jobId: string): Promise<void> {
    await this.send(`/v1/jobs/${encodeURIComponent(jobId)}`, { method: 'DELETE' });
  }

  createUpload(request: CreateUploadRequest): Promise<CreateUploadResponse> {
    return this.call('/v1/uploads', CreateUploadResponse, { method: 'POST', json: request });
  }

  upload(uploadId: string): Promise<UploadStatus> {
    return this.call(`/v1/uploads/${encodeURIComponent(uploadId)}`, UploadStatus, { method: 'GET' });
  }

  /** `url` is the `complete.url` a multipart upload came with. */
  completeUpload(url: string, parts: CompleteUploadRequest['parts']): Promise<UploadStatus> {
    return this.call(url, UploadStatus, { method: 'POST', json: { parts } satisfies CompleteUploadRequest });
  }

  /** `url` is the `abort.url` a multipart upload came with. */
  async abortUpload(url: string): Promise<void> {
    await this.send(url, { method: 'DELETE' });
  }

  async call<Schema extends z.ZodType>(path: string, schema: Schema, init: { method: string; json?: unknown }): Promise<z.infer<Schema>> {
    return schema.parse(JSON.parse(await this.send(path, init)));
  }

  /** The answer's body, once the API has said yes. */
  async send(path: string, init: { method: string; json?: unknown }): Promise<string> {
    const response = await fetch(new URL(path, this.endpoint), {
      method: init.method,
      headers: { authorization: `Bearer ${await this.token()}`, ...(init.json !== undefined && { 'content-type': 'application/json' }) },
      ...(init.json !== undefined && { body: JSON.stringify(init.json) }),
    });
    const text = await response.text();
    if (response.ok) return text;
    const problem = ApiError.safeParse(safeJson(text));
    if (problem.success) throw new JobApiError(problem.data.code, problem.data.message, response.status);
    throw new JobApiError(`HTTP_${response.status}`, `${init.method} ${path}: the API answered ${response.status}`, response.status);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
