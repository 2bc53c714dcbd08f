/**
 * The job API's wire contract: what a team's backend sends and gets back. The API function
 * parses requests with these schemas, and the OpenAPI document is generated from them, so the
 * document and the behaviour cannot drift. Requests are strict (an unknown field is a 400);
 * responses may gain fields.
 */
import { z } from 'zod';
import { JobErrorShape, Manifest, MediaType } from './manifest.ts';

/** Stable codes of the API's own 4xx/5xx answers (a job's own errors use shared/errors.ts). */
export const ApiErrorCode = z.enum([
  'UNAUTHORIZED',
  'MALFORMED_JSON',
  'INVALID_REQUEST',
  'INVALID_FILENAME',
  'TOO_LARGE',
  'UPLOAD_NOT_FOUND',
  'UPLOAD_INCOMPLETE',
  'JOB_NOT_FOUND',
  'JOB_NOT_FINISHED',
  'NOT_FOUND',
  'UNAVAILABLE',
  'INTERNAL',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;

export const ApiError = z.object({ code: ApiErrorCode, message: z.string() });
export type ApiError = z.infer<typeof ApiError>;

export const CreateUploadRequest = z.strictObject({
  /** The user's own file name: kept (sanitised) as the key's last part, never trusted as a path. */
  filename: z.string().min(1).max(1024),
  bytes: z.number().int().positive(),
  /** Bound into the presigned request: the browser must send this Content-Type. */
  contentType: z.string().regex(/^[a-z0-9][\w.+-]*\/[\w.+-]+$/i).max(255).optional(),
});
export type CreateUploadRequest = z.infer<typeof CreateUploadRequest>;

const UploadBase = z.object({
  uploadId: z.string(),
  /** Always `uploads/<uploadId>/<sanitised name>` in the input bucket. */
  key: z.string(),
  expiresAt: z.iso.datetime(),
});

/** One PUT of the whole file, with exactly these headers. */
export const SingleUpload = UploadBase.extend({
  method: z.literal('PUT'),
  url: z.url(),
  headers: z.record(z.string(), z.string()),
});

/** Past the threshold: PUT each part (its `bytes` of the file, in order), then POST the parts' ETags to `complete.url`. */
export const MultipartUpload = UploadBase.extend({
  method: z.literal('MULTIPART'),
  partBytes: z.number().int().positive(),
  parts: z.array(z.object({ partNumber: z.number().int().positive(), bytes: z.number().int().positive(), url: z.url() })),
  headers: z.record(z.string(), z.string()),
  complete: z.object({ method: z.literal('POST'), url: z.string() }),
  abort: z.object({ method: z.literal('DELETE'), url: z.string() }),
});

export const CreateUploadResponse = z.discriminatedUnion('method', [SingleUpload, MultipartUpload]);
export type CreateUploadResponse = z.infer<typeof CreateUploadResponse>;

export const CompleteUploadRequest = z.strictObject({
  parts: z
    .array(z.strictObject({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(256) }))
    .min(1)
    .max(10_000),
});
export type CompleteUploadRequest = z.infer<typeof CompleteUploadRequest>;

/** A job as the API reports it: before its execution starts it is `queued`. */
export const ApiJobStatus = z.enum(['queued', 'running', 'succeeded', 'rejected', 'failed']);
export type ApiJobStatus = z.infer<typeof ApiJobStatus>;

export const UploadStatus = z.object({
  uploadId: z.string(),
  key: z.string(),
  /** Null until the bytes have landed. */
  jobId: z.string().nullable(),
  status: z.union([z.literal('awaiting-upload'), ApiJobStatus]),
});
export type UploadStatus = z.infer<typeof UploadStatus>;

/** Ready-to-use URLs of a finished job's renditions (CloudFront on AWS, the local host's own locally). */
export const Playback = z.object({
  manifest: z.url(),
  hls: z.url().optional(),
  mp4: z.array(z.object({ rung: z.string(), width: z.number().int(), height: z.number().int(), url: z.url() })),
  audio: z.array(z.object({ language: z.string().optional(), url: z.url() })),
  subtitles: z.array(z.object({ language: z.string(), url: z.url() })),
  poster: z.url().optional(),
  thumbnails: z.array(z.url()),
  images: z.array(z.object({ width: z.number().int(), height: z.number().int(), format: z.string(), bytes: z.number().int(), url: z.url() })),
  /** Seek-bar previews: the WebVTT that maps times to sprite regions (sprite URLs in it are relative to it), and the sprites. */
  storyboard: z.object({ vtt: z.url(), sprites: z.array(z.url()) }).optional(),
  /** Set when the URLs are signed: after this they stop working. */
  expiresAt: z.iso.datetime().optional(),
});
export type Playback = z.infer<typeof Playback>;

/** Tasks done of tasks planned (target mode's CRF searches, chunks, audio tracks, stills); 0 of 0 until the split has planned them. */
export const JobProgress = z.object({ done: z.number().int().nonnegative(), total: z.number().int().nonnegative() });

export const JobSummary = z.object({
  jobId: z.string(),
  status: ApiJobStatus,
  /** The upload's key in the input bucket. */
  sourceKey: z.string().optional(),
  mediaType: MediaType.optional(),
  /** What the split learned of the source (once the job has ended): enough to list it. */
  source: z.object({ bytes: z.number().int().nonnegative(), durationSeconds: z.number().nonnegative().optional(), width: z.number().int().positive().optional(), height: z.number().int().positive().optional() }).optional(),
  createdAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  /** Set while the job is queued or running, and on a listed job's detail. */
  progress: JobProgress.optional(),
  error: JobErrorShape.optional(),
});
export type JobSummary = z.infer<typeof JobSummary>;

export const Job = JobSummary.extend({
  progress: JobProgress,
  manifest: Manifest.optional(),
  playback: Playback.optional(),
});
export type Job = z.infer<typeof Job>;

export const ListJobsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Step Functions' nextToken, at most 1024 characters. */
  cursor: z.string().min(1).max(1024).optional(),
});

export const JobList = z.object({ jobs: z.array(JobSummary), nextCursor: z.string().nullable() });
export type JobList = z.infer<typeof JobList>;

/** The fan-out's steps, in the order a timeline lists them. */
export const TimelineStep = z.enum(['split', 'encode', 'audio', 'resize', 'assemble']);
export type TimelineStep = z.infer<typeof TimelineStep>;

/** One attempt of one task: a retried chunk has a failed bar, then the next one. */
export const TimelineBar = z.object({
  step: TimelineStep,
  label: z.string(),
  /** The Map iteration: the chunk, audio track or image's place in the plan. */
  index: z.number().int().nonnegative().optional(),
  /** 1 for the first try. */
  attempt: z.number().int().positive(),
  /** Milliseconds from the execution's start: when the task was scheduled (TaskScheduled). */
  scheduledMs: z.number().nonnegative(),
  /** Milliseconds from the execution's start: when the function began to run it (TaskStarted); the gap after scheduledMs is a wait for a worker. */
  startMs: z.number().nonnegative(),
  /** Milliseconds from the execution's start; for a bar still running, the time it was read. */
  endMs: z.number().nonnegative(),
  outcome: z.enum(['succeeded', 'failed', 'running']),
  /** Why a failed attempt failed: the error name, then the cause. */
  error: z.string().optional(),
});
export type TimelineBar = z.infer<typeof TimelineBar>;

/** One row of the picture: the split, a chunk, an audio track, an image, the assembler. */
export const TimelineLane = z.object({
  step: TimelineStep,
  label: z.string(),
  index: z.number().int().nonnegative().optional(),
  bars: z.array(TimelineBar),
});
export type TimelineLane = z.infer<typeof TimelineLane>;

export const ExecutionTimeline = z.object({
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().optional(),
  /** From the start to the end, or to when it was read while running. */
  durationMs: z.number().nonnegative(),
  lanes: z.array(TimelineLane),
});
export type ExecutionTimeline = z.infer<typeof ExecutionTimeline>;

/** `GET /v1/jobs/{jobId}/timeline`: every task attempt of the job's execution on a time axis. */
export const JobTimeline = ExecutionTimeline.extend({ jobId: z.string() });
export type JobTimeline = z.infer<typeof JobTimeline>;
