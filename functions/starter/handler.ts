/** Lambda entry: an S3 ObjectCreated event in, one execution started per upload. */
import { createSfnClient } from '../../shared/aws-clients.ts';
import { loadConfig, StarterEnv } from '../../shared/config.ts';
import { createObservability, instrumented, MetricName, MetricUnit } from '../../shared/observability.ts';
import { sfnJobStarter } from '../../shared/workflow.ts';
import { startJobs } from './start-jobs.ts';

const config = loadConfig(StarterEnv);
const observability = createObservability('starter', config);
const { logger, metrics } = observability;
const jobs = sfnJobStarter(createSfnClient(config), config.STATE_MACHINE_ARN);

export const handler = instrumented(observability, async (event) => {
  const started = await startJobs(event, { jobs, inputBucket: config.INPUT_BUCKET });
  for (const job of started) {
    if (job.result === 'started') metrics.addMetric(MetricName.jobsStarted, MetricUnit.Count, 1);
    logger.info('upload', { ...job });
  }
  return started;
});
