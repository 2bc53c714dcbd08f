/** Lambda entry: a pipeline execution's status change in; its manifest (if it had none) and its job event out. */
import { createS3Client, createSfnClient } from '../../shared/aws-clients.ts';
import { CostEnv, FinalizerEnv, JobEventsEnv, loadConfig } from '../../shared/config.ts';
import { parseEvent } from '../../shared/contracts/parse-event.ts';
import { jobEventPublisherFrom } from '../../shared/job-events/job-event-publisher.ts';
import { createObservability, instrumented, MetricName, MetricUnit } from '../../shared/observability.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { costFromHistory } from '../../shared/job-cost.ts';
import { executionHistory } from '../../shared/workflow.ts';
import { ExecutionStatusChange, finalizeExecution } from './finalize-execution.ts';

const config = loadConfig(FinalizerEnv.extend(JobEventsEnv.shape).extend(CostEnv.shape));
const store = s3ObjectStore(createS3Client(config));
const publisher = jobEventPublisherFrom(config);
const observability = createObservability('finalizer', config);
const { logger, metrics } = observability;
if (!publisher) logger.info('EVENT_BUS_NAME is unset: job events are not published');
const sfn = createSfnClient(config);

/** The cost is the manifest's extra: a history that cannot be read leaves it out rather than the manifest. */
async function costOf(executionArn: string) {
  try {
    const events = await executionHistory(sfn, executionArn);
    return events && costFromHistory(events, config.FANOUT_HOST);
  } catch (error) {
    logger.warn('no cost: the execution history could not be read', { error });
    return undefined;
  }
}

export const handler = instrumented(observability, async (event) => {
  const change = parseEvent(ExecutionStatusChange, event, 'an execution status change');
  logger.appendKeys({ jobId: change.detail.name, status: change.detail.status });
  const outcome = await finalizeExecution(change, { store, renditionsBucket: config.RENDITIONS_BUCKET, workBucket: config.WORK_BUCKET, publisher, costOf });
  // Rejected inputs are counted where they are refused, by the splitter.
  if (outcome === 'written-failed') metrics.addMetric(MetricName.jobsFailed, MetricUnit.Count, 1);
  logger.info('finalized', { outcome });
  return { outcome };
});
