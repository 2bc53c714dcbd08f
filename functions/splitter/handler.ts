/** Lambda entry: an S3 ObjectCreated event in, one job started per upload. */
import { tmpdir } from 'node:os';
import { createS3Client, createSfnClient } from '../../shared/aws-clients.ts';
import { SplitterEnv, loadConfig } from '../../shared/config.ts';
import { uploadsIn } from '../../shared/contracts/upload-event.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { sfnJobStarter } from '../../shared/workflow.ts';
import { splitUpload, type SplitOutcome } from './split-upload.ts';

const config = loadConfig(SplitterEnv);
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
    },
  },
};

export async function handler(event: unknown): Promise<Array<Omit<SplitOutcome, 'plan'>>> {
  // One record failing must not drop the others; the event is retried whole and the
  // records already started come back as duplicates.
  const settled = await Promise.allSettled(uploadsIn(event).map((upload) => splitUpload(upload, { ...dependencies, tmpDir: tmpdir() })));
  const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  if (failures.length > 0) throw failures[0];
  return settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [{ jobId: outcome.value.jobId, result: outcome.value.result }] : []));
}
