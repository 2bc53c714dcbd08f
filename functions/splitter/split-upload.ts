/**
 * The splitter's core: decides from the bytes what an upload is, refuses what it must with a
 * stable code, plans the job and starts one execution named after the job id. A refused upload
 * still starts an execution, which goes straight to the assembler and ends in a `rejected`
 * manifest: every upload ends with a manifest that says what happened.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageFormat, JobPlan, SourceFacts } from '../../shared/contracts/job.ts';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { InputRejectedError } from '../../shared/errors.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { keys } from '../../shared/keys.ts';
import { probeImage } from '../../shared/media/image.ts';
import { SNIFF_BYTES, sniffMediaType } from '../../shared/media/sniff-media-type.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';
import type { JobStarter } from '../../shared/workflow.ts';
import { planImageSizes } from './plan-image-sizes.ts';

export interface SplitSettings {
  renditionsBucket: string;
  imageWidths: readonly number[];
  imageFormats: readonly ImageFormat[];
  maxImagePixels: number;
  maxInputBytes: number;
}

export interface SplitDependencies {
  store: ObjectStore;
  jobs: JobStarter;
  settings: SplitSettings;
  tmpDir: string;
  now?: () => Date;
}

export type SplitOutcome = { jobId: string; result: 'started' | 'duplicate' | 'ignored'; plan?: JobPlan };

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
  } catch (error) {
    if (!(error instanceof InputRejectedError)) throw error;
    plan = {
      jobId,
      source,
      receivedAt: receivedAt.toISOString(),
      splitMs: 0,
      outcome: 'rejected',
      error: { code: error.code, message: error.detail },
      imageTasks: [],
    };
  }
  plan.splitMs = now().getTime() - receivedAt.getTime();
  const result = await deps.jobs.start(jobId, plan);
  return { jobId, result, plan };
}

async function isKnownJob(jobId: string, deps: SplitDependencies): Promise<boolean> {
  const manifest = await deps.store.head({ bucket: deps.settings.renditionsBucket, key: keys.manifest(jobId) });
  return manifest !== undefined || (await deps.jobs.exists(jobId));
}

async function planAcceptedJob({ jobId, upload, deps }: { jobId: string; upload: UploadRef; deps: SplitDependencies }): Promise<Pick<JobPlan, 'source' | 'imageTasks'>> {
  const { store, settings } = deps;
  const ref = { bucket: upload.bucket, key: upload.key, versionId: upload.versionId };
  const head = await store.head(ref);
  if (!head) throw new InputRejectedError('SOURCE_NOT_FOUND', 'the uploaded object no longer exists');
  if (head.size === 0) throw new InputRejectedError('EMPTY_INPUT', 'the uploaded file is empty (0 bytes)');
  if (head.size > settings.maxInputBytes) {
    throw new InputRejectedError('INPUT_TOO_LARGE', `the file is ${head.size} bytes; the limit is ${settings.maxInputBytes}`);
  }

  const sniffed = await sniffMediaType(await store.readStart(ref, SNIFF_BYTES));
  if (!sniffed) {
    throw new InputRejectedError('UNSUPPORTED_MEDIA_TYPE', 'the file content is not a supported image, video or audio format');
  }
  if (sniffed.mediaType !== 'image') {
    throw new InputRejectedError('UNSUPPORTED_MEDIA_TYPE', `${sniffed.format} ${sniffed.mediaType} is recognised, but only images are processed so far`);
  }

  // The source is read under a name chosen by the job, never by the uploader.
  const workDir = await mkdtemp(join(deps.tmpDir, `split-${jobId}-`));
  try {
    const localSource = join(workDir, 'source');
    await store.download(ref, localSource);
    const image = await probeImage(localSource, { maxPixels: settings.maxImagePixels });
    const source: SourceFacts = { ...upload, size: head.size, mediaType: 'image', format: image.format, width: image.width, height: image.height };
    const imageTasks = planImageSizes({ sourceWidth: image.width, widths: settings.imageWidths }).map((width) => ({
      jobId,
      source: ref,
      width,
      formats: [...settings.imageFormats],
    }));
    return { source, imageTasks };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
