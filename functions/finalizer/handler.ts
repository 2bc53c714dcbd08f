/** Lambda entry: a pipeline execution's status change in; its manifest (if it had none) and its job event out. */
import { createS3Client } from '../../shared/aws-clients.ts';
import { FinalizerEnv, JobEventsEnv, loadConfig } from '../../shared/config.ts';
import { parseEvent } from '../../shared/contracts/parse-event.ts';
import { jobEventPublisherFrom } from '../../shared/job-events/job-event-publisher.ts';
import { createObservability, instrumented, MetricName, MetricUnit } from '../../shared/observability.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { ExecutionStatusChange, finalizeExecution } from './finalize-execution.ts';

const config = loadConfig(FinalizerEnv.extend(JobEventsEnv.shape));
const store = s3ObjectStore(createS3Client(config));
const publisher = jobEventPublisherFrom(config);
const observability = createObservability('finalizer', config);
const { logger, metrics } = observability;
if (!publisher) logger.info('EVENT_BUS_NAME is unset: job events are not published');

export const handler = instrumented(observability, async (event) => {
  const change = parseEvent(ExecutionStatusChange, event, 'an execution status change');
  logger.appendKeys({ jobId: change.detail.name, status: change.detail.status });
  const outcome = await finalizeExecution(change, { store, renditionsBucket: config.RENDITIONS_BUCKET, workBucket: config.WORK_BUCKET, publisher });
  // Rejected inputs are counted where they are refused, by the splitter.
  if (outcome === 'written-failed') metrics.addMetric(MetricName.jobsFailed, MetricUnit.Count, 1);
  logger.info('finalized', { outcome });
  return { outcome };
});
