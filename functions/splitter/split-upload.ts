/**
 * The splitter's core, the pipeline's first state: decides from the bytes what an upload is,
 * refuses what it must with a stable code, and plans the job. A refused upload becomes a
 * `rejected` plan, one it could not plan (a failing cut, its deadline) a `failed` one, both
 * with what was learned of the source: the state machine takes either straight to the
 * assembler's manifest. Only a TransientError (storage unreachable) is thrown, for the state
 * machine's Retry; a crash or a timeout past that is caught there, into the manifest too.
 *
 * It reads the exact upload the event named: that version where the bucket keeps versions,
 * else the object only while it still has the event's ETag, so an overwrite mid-job never
 * renders the newer bytes under the older upload's job (the newer one has its own).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { z } from 'zod';
import { join } from 'node:path';
import type { ExecutionInput } from '../../shared/contracts/execution-input.ts';
import type { ImageFormat, SourceFacts } from '../../shared/contracts/manifest.ts';
import { SplitResult } from '../../shared/contracts/work-plan.ts';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { FanoutError, InputRejectedError, InternalError, TransientError } from '../../shared/errors.ts';
import { WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';
import { SNIFF_BYTES, sniffMediaType } from '../../shared/media/sniff-media-type.ts';
import type { ObjectRef, ObjectStore } from '../../shared/storage/object-store.ts';
import { planImageJob } from './plan-image-job.ts';
import { prepareMediaJob, type MediaSettings } from './prepare-media-job.ts';

export interface SplitSettings {
  workBucket: string;
  imageWidths: readonly number[];
  imageFormats: readonly ImageFormat[];
  maxImagePixels: number;
  maxInputBytes: number;
  media: MediaSettings;
}

type PreparedJob = Partial<Pick<SplitResult, 'fanOut' | 'chunkTasks' | 'audioTasks' | 'probeTasks'>> & Pick<SplitResult, 'source' | 'imageTasks'>;

export interface SplitDependencies {
  store: ObjectStore;
  settings: SplitSettings;
  tmpDir: string;
  now?: () => Date;
  /** Aborts the planning when the invocation is about to run out of time: the job then ends `failed`, with its manifest. */
  deadline?: AbortSignal;
}

export async function splitUpload(input: ExecutionInput, deps: SplitDependencies): Promise<z.output<typeof SplitResult>> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const { jobId, upload } = input;
  const source: SourceFacts = { ...upload };
  let plan: SplitResult;
  try {
    const accepted = await planAcceptedJob({ jobId, upload, deps });
    plan = { jobId, startedAt: startedAt.toISOString(), splitMs: 0, outcome: 'accepted', ...accepted };
  } catch (thrown) {
    // An abort surfaces as the signal's own reason (throwIfAborted, runFfmpeg); anything else keeps its class.
    const timedOut = deps.deadline?.aborted === true && thrown === deps.deadline.reason;
    const error = timedOut ? new InternalError('TASK_TIMED_OUT', 'the splitter ran out of time before the job was planned', { cause: thrown }) : thrown;
    if (error instanceof TransientError) throw error;
    plan = {
      jobId,
      source,
      startedAt: startedAt.toISOString(),
      splitMs: 0,
      outcome: error instanceof InputRejectedError ? 'rejected' : 'failed',
      error: error instanceof FanoutError ? { code: error.code, message: error.detail } : { code: 'INTERNAL', message: String(error) },
      imageTasks: [],
    };
  }
  plan.splitMs = now().getTime() - startedAt.getTime();
  // Parsed on the way out: the state machine's Maps need every task list present, if empty.
  return SplitResult.parse(plan);
}

/** The upload exactly as its event named it: its version, or its ETag where the bucket keeps no versions. */
export function uploadedObject(upload: UploadRef): ObjectRef {
  return { bucket: upload.bucket, key: upload.key, ...(upload.versionId ? { versionId: upload.versionId } : upload.etag ? { ifEtag: upload.etag } : {}) };
}

async function planAcceptedJob({ jobId, upload, deps }: { jobId: string; upload: UploadRef; deps: SplitDependencies }): Promise<PreparedJob> {
  const { store, settings, deadline } = deps;
  const ref = uploadedObject(upload);
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
