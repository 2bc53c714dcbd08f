/** Lambda entry: an S3 ObjectCreated event in, one job started per upload. */
import { tmpdir } from 'node:os';
import { removeLeftoverWorkDirs, WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';
import { createS3Client, createSfnClient } from '../../shared/aws-clients.ts';
import { SplitterEnv, loadConfig } from '../../shared/config.ts';
import { uploadsIn, type UploadRef } from '../../shared/contracts/upload-event.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { createObservability, instrumented, MetricName, MetricUnit } from '../../shared/observability.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { sfnJobStarter } from '../../shared/workflow.ts';
import { splitUpload, type SplitOutcome } from './split-upload.ts';

const config = loadConfig(SplitterEnv);
const observability = createObservability('splitter', config);
const { logger, metrics } = observability;
const dependencies = {
  store: s3ObjectStore(createS3Client(config)),
  jobs: sfnJobStarter(createSfnClient(config), config.STATE_MACHINE_ARN),
  settings: {
    renditionsBucket: config.RENDITIONS_BUCKET,
    workBucket: config.WORK_BUCKET,
    imageWidths: config.IMAGE_WIDTHS,
    imageFormats: ['avif', 'webp', 'jpeg'] as const,
    maxImagePixels: config.IMAGE_MAX_PIXELS,
    maxInputBytes: config.MAX_INPUT_BYTES,
    media: {
      maxDurationSeconds: config.MAX_DURATION_SECONDS,
      maxWidth: config.MAX_VIDEO_WIDTH,
      maxHeight: config.MAX_VIDEO_HEIGHT,
      maxStreams: config.MAX_STREAMS,
      chunkSeconds: config.CHUNK_SECONDS,
      segmentSeconds: config.SEGMENT_SECONDS,
      gopSeconds: config.GOP_SECONDS,
      preset: config.X264_PRESET,
      distributedMapThreshold: config.DISTRIBUTED_MAP_THRESHOLD,
      thumbnails: config.THUMBNAILS,
      assemblerStorageBytes: config.ASSEMBLER_STORAGE_MIB * 1024 ** 2,
    },
  },
};

/**
 * Time kept back from the invocation's timeout to start a failed job, so that it still ends with
 * a manifest. The deadline interrupts the download and every ffmpeg run at once; what it cannot
 * interrupt is bounded: an ffprobe run by its own timeout (at most 2 min), a segment's upload.
 */
const DEADLINE_MARGIN_MS = 150_000;

export const handler = instrumented(observability, async (event, context): Promise<Array<Omit<SplitOutcome, 'plan'>>> => {
  await removeLeftoverWorkDirs(tmpdir(), WORK_DIR_PREFIX.splitter);
  const uploads = uploadsIn(event);
  const deadline = context ? AbortSignal.timeout(Math.max(1, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS)) : undefined;
  // S3 delivers one record per event: its job id goes on every line, a failure's included.
  // (Several records, as the local host's reconcile pass may send, each name their own.)
  if (uploads.length === 1) logger.appendKeys({ jobId: jobIdFor(uploads[0]!) });
  // One record failing must not drop the others; the event is retried whole and the
  // records already started come back as duplicates.
  const settled = await Promise.allSettled(uploads.map((upload) => splitOne(upload, deadline)));
  const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  if (failures.length > 0) throw failures[0];
  return settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [{ jobId: outcome.value.jobId, result: outcome.value.result }] : []));
});

async function splitOne(upload: UploadRef, deadline: AbortSignal | undefined): Promise<SplitOutcome> {
  const outcome = await splitUpload(upload, { ...dependencies, tmpDir: tmpdir(), deadline });
  if (outcome.result === 'started') metrics.addMetric(MetricName.jobsStarted, MetricUnit.Count, 1);
  if (outcome.plan?.outcome === 'rejected') metrics.addMetric(MetricName.inputsRejected, MetricUnit.Count, 1);
  const { plan } = outcome;
  const fields = {
    jobId: outcome.jobId,
    result: outcome.result,
    ...(plan ? { outcome: plan.outcome, code: plan.error?.code, mediaType: plan.source.mediaType, chunks: plan.chunkTasks.length, fanOut: plan.fanOut } : {}),
  };
  // A failed plan is ours to look at (its job ends `failed`); a rejected one is the input's doing.
  if (plan?.outcome === 'failed') logger.error('split failed', { ...fields, detail: plan.error?.message });
  else logger.info('split', fields);
  return outcome;
}
