/** Lambda entry: the pipeline's first state. The starter's execution input in, the job's plan out. */
import { tmpdir } from 'node:os';
import { removeLeftoverWorkDirs, WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';
import { createS3Client } from '../../shared/aws-clients.ts';
import { SplitterEnv, loadConfig } from '../../shared/config.ts';
import { ExecutionInput } from '../../shared/contracts/execution-input.ts';
import { parseEvent } from '../../shared/contracts/parse-event.ts';
import { memoryOf } from '../../shared/job-cost.ts';
import { createObservability, instrumented, MetricName, MetricUnit } from '../../shared/observability.ts';
import { RENDITION_PROFILE } from '../../shared/rendition-profile.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { splitUpload } from './split-upload.ts';

const config = loadConfig(SplitterEnv);
const observability = createObservability('splitter', config);
const { logger, metrics } = observability;
const dependencies = {
  store: s3ObjectStore(createS3Client(config)),
  settings: {
    workBucket: config.WORK_BUCKET,
    imageWidths: config.IMAGE_WIDTHS,
    imageFormats: RENDITION_PROFILE.image.formats,
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
      qualitySampleEvery: config.QUALITY_SAMPLE_EVERY,
      ...(config.QUALITY_TARGET ? { qualityTarget: config.QUALITY_TARGET } : {}),
    },
  },
};

/**
 * Time kept back from the invocation's timeout to return a `failed` plan, with what was learned
 * of the source, rather than be killed (which the state machine's Catch also turns into a
 * manifest, with less in it). The deadline interrupts the download and every ffmpeg run at
 * once; what it cannot interrupt is bounded: an ffprobe run by its own timeout (at most 2 min).
 */
const DEADLINE_MARGIN_MS = 150_000;

export const handler = instrumented(observability, async (event, context) => {
  await removeLeftoverWorkDirs(tmpdir(), WORK_DIR_PREFIX.splitter);
  const input = parseEvent(ExecutionInput, event, "the splitter's input");
  logger.appendKeys({ jobId: input.jobId });
  const deadline = context ? AbortSignal.timeout(Math.max(1, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS)) : undefined;
  const plan = await splitUpload(input, { ...dependencies, tmpDir: tmpdir(), deadline });
  if (plan.outcome === 'rejected') metrics.addMetric(MetricName.inputsRejected, MetricUnit.Count, 1);
  const fields = { outcome: plan.outcome, code: plan.error?.code, mediaType: plan.source.mediaType, chunks: plan.chunkTasks.length, fanOut: plan.fanOut };
  // A failed plan is ours to look at (its job ends `failed`); a rejected one is the input's doing.
  if (plan.outcome === 'failed') logger.error('split failed', { ...fields, detail: plan.error?.message });
  else logger.info('split', fields);
  return { ...plan, ...memoryOf(context) };
});
