/**
 * The splitter's core: decides from the bytes what an upload is, refuses what it must with a
 * stable code, plans the job and starts one execution named after the job id. A refused upload
 * still starts an execution, which goes straight to the assembler and ends in a `rejected`
 * manifest; so does one the splitter could not plan (a failing cut, its deadline), as `failed`:
 * every upload ends with a manifest that says what happened. Only a TransientError (storage or
 * Step Functions unreachable) is thrown, for Lambda's asynchronous retries and then the DLQ.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { z } from 'zod';
import { join } from 'node:path';
import { JobPlan, type ImageFormat, type SourceFacts } from '../../shared/contracts/job.ts';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { FanoutError, InputRejectedError, InternalError, TransientError } from '../../shared/errors.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { keys } from '../../shared/keys.ts';
import { WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';
import { SNIFF_BYTES, sniffMediaType } from '../../shared/media/sniff-media-type.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';
import type { JobStarter } from '../../shared/workflow.ts';
import { planImageJob } from './plan-image-job.ts';
import { prepareMediaJob, type MediaSettings } from './prepare-media-job.ts';

export interface SplitSettings {
  renditionsBucket: string;
  workBucket: string;
  imageWidths: readonly number[];
  imageFormats: readonly ImageFormat[];
  maxImagePixels: number;
  maxInputBytes: number;
  media: MediaSettings;
}

type PreparedJob = Partial<Pick<JobPlan, 'fanOut' | 'chunkTasks' | 'audioTasks'>> & Pick<JobPlan, 'source' | 'imageTasks'>;

export interface SplitDependencies {
  store: ObjectStore;
  jobs: JobStarter;
  settings: SplitSettings;
  tmpDir: string;
  now?: () => Date;
  /** Aborts the planning when the invocation is about to run out of time: the job then ends `failed`, with its manifest. */
  deadline?: AbortSignal;
}

export type SplitOutcome = { jobId: string; result: 'started' | 'duplicate' | 'ignored'; plan?: z.output<typeof JobPlan> };

export async function splitUpload(upload: UploadRef, deps: SplitDependencies): Promise<SplitOutcome> {
  const now = deps.now ?? (() => new Date());
  const receivedAt = now();
  const jobId = jobIdFor(upload);

  // A notification misconfigured onto the renditions bucket would turn every output into a new
  // job, forever: refuse to recurse.
  if (upload.bucket === deps.settings.renditionsBucket) return { jobId, result: 'ignored' };

  // A redelivered event (S3 delivers at least once; the local host also reconciles at start)
  // must not start a second job.
  if (await isKnownJob(jobId, deps)) return { jobId, result: 'duplicate' };

  const source: SourceFacts = { ...upload };
  let plan: JobPlan;
  try {
    const accepted = await planAcceptedJob({ jobId, upload, deps });
    plan = { jobId, receivedAt: receivedAt.toISOString(), splitMs: 0, outcome: 'accepted', ...accepted };
  } catch (thrown) {
    // An abort surfaces as the signal's own reason (throwIfAborted, runFfmpeg); anything else keeps its class.
    const timedOut = deps.deadline?.aborted === true && thrown === deps.deadline.reason;
    const error = timedOut ? new InternalError('TASK_TIMED_OUT', 'the splitter ran out of time before the job was planned', { cause: thrown }) : thrown;
    if (error instanceof TransientError) throw error;
    plan = {
      jobId,
      source,
      receivedAt: receivedAt.toISOString(),
      splitMs: 0,
      outcome: error instanceof InputRejectedError ? 'rejected' : 'failed',
      error: error instanceof FanoutError ? { code: error.code, message: error.detail } : { code: 'INTERNAL', message: String(error) },
      imageTasks: [],
    };
  }
  plan.splitMs = now().getTime() - receivedAt.getTime();
  // Parsed on the way out: the state machine's Maps need every task list present, if empty.
  const executionInput = JobPlan.parse(plan);
  const result = await deps.jobs.start(jobId, executionInput);
  return { jobId, result, plan: executionInput };
}

async function isKnownJob(jobId: string, deps: SplitDependencies): Promise<boolean> {
  const manifest = await deps.store.head({ bucket: deps.settings.renditionsBucket, key: keys.manifest(jobId) });
  return manifest !== undefined || (await deps.jobs.exists(jobId));
}

async function planAcceptedJob({ jobId, upload, deps }: { jobId: string; upload: UploadRef; deps: SplitDependencies }): Promise<PreparedJob> {
  const { store, settings, deadline } = deps;
  const ref = { bucket: upload.bucket, key: upload.key, versionId: upload.versionId };
  const head = await store.head(ref);
  if (!head) throw new InputRejectedError('SOURCE_NOT_FOUND', 'the uploaded object no longer exists');
  if (head.size === 0) throw new InputRejectedError('EMPTY_INPUT', 'the uploaded file is empty (0 bytes)');
  if (head.size > settings.maxInputBytes) {
    throw new InputRejectedError('INPUT_TOO_LARGE', `the file is ${head.size} bytes; the limit is ${settings.maxInputBytes}`);
  }

  // The bytes decide what the file is, never its name; playlists, scripts and SVG are refused here.
  const sniffed = await sniffMediaType(await store.readStart(ref, SNIFF_BYTES));
  if (!sniffed) {
    throw new InputRejectedError('UNSUPPORTED_MEDIA_TYPE', 'the file content is not a supported image, video or audio format');
  }

  // The source is read under a name chosen by the job, never by the uploader.
  const workDir = await mkdtemp(join(deps.tmpDir, `${WORK_DIR_PREFIX.splitter}${jobId}-`));
  try {
    const localSource = join(workDir, 'source');
    await store.download(ref, localSource, deadline);
    const sized = { ...upload, size: head.size };
    if (sniffed.mediaType === 'image') return await planImageJob({ jobId, upload: sized, localSource, settings });
    return await prepareMediaJob({ jobId, upload: sized, sniffed, localSource, workDir, settings, store, deadline });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
