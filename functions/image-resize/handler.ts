/** Lambda entry: one Map item of the image fan-out. */
import { tmpdir } from 'node:os';
import { parseEvent } from '../../shared/contracts/parse-event.ts';
import { removeLeftoverWorkDirs, WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';
import { createS3Client } from '../../shared/aws-clients.ts';
import { ImageResizeEnv, loadConfig } from '../../shared/config.ts';
import { ImageTask, TaskAttempt } from '../../shared/contracts/work-plan.ts';
import { memoryOf } from '../../shared/job-cost.ts';
import { createObservability, instrumented } from '../../shared/observability.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { resizeImage } from './resize-image.ts';

const config = loadConfig(ImageResizeEnv);
const store = s3ObjectStore(createS3Client(config));
const observability = createObservability('image-resize', config);
const { logger } = observability;

export const handler = instrumented(observability, async (event, context) => {
  await removeLeftoverWorkDirs(tmpdir(), WORK_DIR_PREFIX['image-resize']);
  const { task, retryCount } = parseEvent(TaskAttempt(ImageTask), event, 'an image task');
  logger.appendKeys({ jobId: task.jobId, role: task.role, width: task.width });
  const result = await resizeImage(task, { store, renditionsBucket: config.RENDITIONS_BUCKET, maxPixels: config.IMAGE_MAX_PIXELS, tmpDir: tmpdir() });
  logger.info('resized', { renditions: result.renditions.length, durationMs: result.durationMs });
  return { ...result, attempts: retryCount + 1, ...memoryOf(context) };
});
