/** Lambda entry: the last step of every execution, successful or not. */
import { tmpdir } from 'node:os';
import { parseEvent } from '../../shared/contracts/parse-event.ts';
import { removeLeftoverWorkDirs, WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';
import { createS3Client } from '../../shared/aws-clients.ts';
import { AssemblerEnv, CostEnv, loadConfig } from '../../shared/config.ts';
import { AssembleInput } from '../../shared/contracts/work-plan.ts';
import { memoryOf } from '../../shared/job-cost.ts';
import { createObservability, instrumented, MetricName, MetricUnit } from '../../shared/observability.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { assembleJob } from './assemble-job.ts';

const config = loadConfig(AssemblerEnv.extend(CostEnv.shape));
const store = s3ObjectStore(createS3Client(config));
const observability = createObservability('assembler', config);
const { logger, metrics } = observability;

export const handler = instrumented(observability, async (event, context) => {
  await removeLeftoverWorkDirs(tmpdir(), WORK_DIR_PREFIX.assembler);
  const input = parseEvent(AssembleInput, event, 'the assembler\'s input');
  logger.appendKeys({ jobId: input.jobId });
  const result = await assembleJob(input, { store, renditionsBucket: config.RENDITIONS_BUCKET, workBucket: config.WORK_BUCKET, tmpDir: tmpdir(), cost: { host: config.FANOUT_HOST, ...memoryOf(context) } });
  // Rejected inputs are counted where they are refused, by the splitter.
  if (result.status !== 'rejected') metrics.addMetric(result.status === 'succeeded' ? MetricName.jobsSucceeded : MetricName.jobsFailed, MetricUnit.Count, 1);
  logger.info('assembled', { status: result.status, manifestKey: result.manifestKey });
  return result;
});
