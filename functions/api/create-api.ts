/**
 * The job API, built from its clients: the same app runs in the Lambda (handler.ts, behind API
 * Gateway and its authorizer) and in the local host (infra/local/api-server.ts, behind its
 * bearer key). Requests are parsed with the contract's zod schemas, and the OpenAPI document is
 * generated from the same routes, so document and behaviour cannot drift.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { HTTPException } from 'hono/http-exception';
import {
  ApiError,
  CompleteUploadRequest,
  CreateUploadRequest,
  CreateUploadResponse,
  Job,
  JobList,
  JobTimeline,
  ListJobsQuery,
  UploadStatus,
} from '../../shared/contracts/api.ts';
import { FanoutError } from '../../shared/errors.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { sdkErrorKind } from '../../shared/sdk-error-kind.ts';
import type { ApiConfig } from './api-config.ts';
import { ApiProblem } from './api-problem.ts';
import { deleteJob, getJob, getJobTimeline, jobStatusOf, listJobs, type JobDeps } from './jobs.ts';
import type { PlaybackPort } from './playback.ts';
import { abortUpload, completeUpload, createUpload, landedUpload, uploadPrefix, type UploadDeps } from './uploads.ts';

export interface ApiDeps {
  config: ApiConfig;
  s3: S3Client;
  sfn: SFNClient;
  /** Where playback URLs point; without one, finished jobs carry no `playback`. */
  playback?: PlaybackPort;
  now?: () => Date;
  /** Told of 5xx answers' causes (the function's logger). */
  onError?: (error: unknown) => void;
}

const json = <Schema extends z.ZodType>(schema: Schema, description: string) => ({ description, content: { 'application/json': { schema } } });
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, json(ApiError, 'An error: `{ code, message }` with a stable code')]));
const jsonBody = <Schema extends z.ZodType>(schema: Schema) => ({ required: true, content: { 'application/json': { schema } } });

const UploadIdParam = z.object({ uploadId: z.uuid().openapi({ param: { name: 'uploadId', in: 'path' } }) });
const NameQuery = z.strictObject({ name: z.string().min(1).max(1024).optional() });
/** `parts`: how many parts the upload was planned with (the complete URL carries it), so none can be left out. */
const CompleteQuery = NameQuery.extend({ parts: z.coerce.number().int().min(1).max(10_000) });
const JobIdParam = z.object({ jobId: z.string().openapi({ param: { name: 'jobId', in: 'path' } }) });
const COMMON_ERRORS = [401, 503] as const;

const routes = {
  createUpload: createRoute({
    method: 'post',
    path: '/v1/uploads',
    summary: 'Start an upload: a presigned PUT, or a multipart upload past the threshold',
    request: { body: jsonBody(CreateUploadRequest) },
    responses: { 201: json(CreateUploadResponse, 'Where and how to send the bytes'), ...errors(400, 413, ...COMMON_ERRORS) },
  }),
  getUpload: createRoute({
    method: 'get',
    path: '/v1/uploads/{uploadId}',
    summary: "An upload's key and, once its bytes have landed, its job",
    request: { params: UploadIdParam },
    responses: { 200: json(UploadStatus, 'The upload and its job'), ...errors(400, ...COMMON_ERRORS) },
  }),
  completeUpload: createRoute({
    method: 'post',
    path: '/v1/uploads/{uploadId}/complete',
    summary: 'Complete a multipart upload with its parts’ ETags',
    request: { params: UploadIdParam, query: CompleteQuery, body: jsonBody(CompleteUploadRequest) },
    responses: { 200: json(UploadStatus, 'The completed upload and its job'), ...errors(400, 404, ...COMMON_ERRORS) },
  }),
  abortUpload: createRoute({
    method: 'delete',
    path: '/v1/uploads/{uploadId}',
    summary: 'Abort a multipart upload in progress',
    request: { params: UploadIdParam, query: NameQuery },
    responses: { 204: { description: 'Aborted' }, ...errors(400, 404, ...COMMON_ERRORS) },
  }),
  listJobs: createRoute({
    method: 'get',
    path: '/v1/jobs',
    summary: 'Jobs, newest first',
    request: { query: ListJobsQuery },
    responses: { 200: json(JobList, 'A page of jobs; pass `nextCursor` as `cursor` for the next'), ...errors(400, ...COMMON_ERRORS) },
  }),
  getJob: createRoute({
    method: 'get',
    path: '/v1/jobs/{jobId}',
    summary: 'A job: its status, progress and, once it succeeded, its manifest and playback URLs',
    request: { params: JobIdParam },
    responses: { 200: json(Job, 'The job'), ...errors(404, ...COMMON_ERRORS) },
  }),
  getJobTimeline: createRoute({
    method: 'get',
    path: '/v1/jobs/{jobId}/timeline',
    summary: "A job's fan-out on a time axis: the split, each chunk, audio track and image, the assembler; every attempt a bar",
    request: { params: JobIdParam },
    responses: { 200: json(JobTimeline, 'Lanes of bars, in milliseconds from the execution’s start'), ...errors(404, ...COMMON_ERRORS) },
  }),
  deleteJob: createRoute({
    method: 'delete',
    path: '/v1/jobs/{jobId}',
    summary: "Forget a finished job: its renditions and every version of its source",
    request: { params: JobIdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(404, 409, ...COMMON_ERRORS) },
  }),
};

export function createApi(deps: ApiDeps): OpenAPIHono {
  const now = deps.now ?? (() => new Date());
  const jobDeps: JobDeps = { config: deps.config, s3: deps.s3, sfn: deps.sfn, playback: deps.playback, now };
  const uploadDeps: UploadDeps = { config: deps.config, s3: deps.s3, now };

  const app = new OpenAPIHono({
    // A request that does not fit its schema (an unknown field, a wrong type): the contract's 400.
    defaultHook: (result, c) => {
      if (!result.success) return c.json(problem('INVALID_REQUEST', z.prettifyError(result.error)), 400);
    },
  });

  const uploadStatus = async (uploadId: string): Promise<UploadStatus> => {
    const landed = await landedUpload(uploadId, uploadDeps);
    // Stateless: until the bytes land, the API knows only the upload's prefix.
    if (!landed) return { uploadId, key: uploadPrefix(uploadId), jobId: null, status: 'awaiting-upload' };
    const jobId = jobIdFor({ bucket: deps.config.INPUT_BUCKET, ...landed });
    return { uploadId, key: landed.key, jobId, status: await jobStatusOf(jobId, jobDeps) };
  };

  app.openapi(routes.createUpload, async (c) => c.json(await createUpload(c.req.valid('json'), uploadDeps), 201));
  app.openapi(routes.getUpload, async (c) => c.json(await uploadStatus(c.req.valid('param').uploadId), 200));
  app.openapi(routes.completeUpload, async (c) => {
    const { uploadId } = c.req.valid('param');
    const { name, parts } = c.req.valid('query');
    await completeUpload(uploadId, { name, parts }, c.req.valid('json'), uploadDeps);
    return c.json(await uploadStatus(uploadId), 200);
  });
  app.openapi(routes.abortUpload, async (c) => {
    await abortUpload(c.req.valid('param').uploadId, c.req.valid('query').name, uploadDeps);
    return c.body(null, 204);
  });
  app.openapi(routes.listJobs, async (c) => c.json(await listJobs(c.req.valid('query'), jobDeps), 200));
  app.openapi(routes.getJob, async (c) => c.json(await getJob(c.req.valid('param').jobId, jobDeps), 200));
  app.openapi(routes.getJobTimeline, async (c) => c.json(await getJobTimeline(c.req.valid('param').jobId, jobDeps), 200));
  app.openapi(routes.deleteJob, async (c) => {
    await deleteJob(c.req.valid('param').jobId, jobDeps);
    return c.body(null, 204);
  });
  app.get('/v1/openapi.json', (c) => c.json(openApiDocumentOf(app)));

  app.notFound((c) => c.json(problem('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`), 404));
  app.onError((error, c) => {
    if (error instanceof ApiProblem) return c.json(problem(error.code, error.message), error.status);
    // Hono's JSON validator throws this for a body that is not JSON at all.
    if (error instanceof HTTPException && error.status === 400) return c.json(problem('MALFORMED_JSON', 'the body is not valid JSON'), 400);
    if (error instanceof HTTPException && error.status === 415) return c.json(problem('INVALID_REQUEST', 'send the body as Content-Type: application/json'), 400);
    deps.onError?.(error);
    if (isTransient(error)) return c.json(problem('UNAVAILABLE', 'storage or the workflow is unavailable; try again'), 503);
    return c.json(problem('INTERNAL', 'internal error'), 500);
  });
  return app;
}

function isTransient(error: unknown): boolean {
  if (error instanceof FanoutError) return error.retryable;
  return sdkErrorKind(error) === 'transient';
}

function problem(code: ApiError['code'], message: string): ApiError {
  return { code, message };
}

export function openApiDocumentOf(app: OpenAPIHono) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Fanout job API',
      version: '1',
      description: 'Direct uploads, jobs, playback URLs. Every route needs `Authorization: Bearer <key>` locally (an IAM-signed or authorizer-checked request on AWS: see docs/api.md).',
    },
  });
}
