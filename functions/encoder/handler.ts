/** Lambda entry: one chunk of a video (every rung), or a file's audio. */
import { tmpdir } from 'node:os';
import { parseEvent } from '../../shared/contracts/parse-event.ts';
import { removeLeftoverWorkDirs, WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';
import { createS3Client } from '../../shared/aws-clients.ts';
import { EncoderEnv, loadConfig } from '../../shared/config.ts';
import { EncodeTask, TaskAttempt } from '../../shared/contracts/work-plan.ts';
import { memoryOf } from '../../shared/job-cost.ts';
import { createObservability, instrumented, MetricName, MetricUnit } from '../../shared/observability.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { runEncodeTask } from './run-encode-task.ts';

const config = loadConfig(EncoderEnv);
const store = s3ObjectStore(createS3Client(config));
const observability = createObservability('encoder', config);
const { logger, metrics } = observability;

export const handler = instrumented(observability, async (event, context) => {
  await removeLeftoverWorkDirs(tmpdir(), WORK_DIR_PREFIX.encoder);
  const { task, retryCount } = parseEvent(TaskAttempt(EncodeTask), event, 'an encode task');
  logger.appendKeys({ jobId: task.jobId, task: task.kind, ...(task.kind === 'audio' ? {} : { chunk: task.index }) });
  const result = await runEncodeTask(task, { store, workBucket: config.WORK_BUCKET, tmpDir: tmpdir(), ffmpegThreads: config.FFMPEG_THREADS });
  // A probe task's time is the search's, not an encode's.
  if (task.kind !== 'probe') metrics.addMetric(task.kind === 'chunk' ? MetricName.chunkEncodeSeconds : MetricName.audioEncodeSeconds, MetricUnit.Seconds, result.durationMs / 1000);
  logger.info('encoded', { durationMs: result.durationMs });
  return { ...result, attempts: retryCount + 1, ...memoryOf(context) };
});
