/**
 * Logs and metrics for the functions, with AWS Lambda Powertools: one JSON object per line,
 * carrying the job id (handlers add it with `logger.appendKeys({ jobId })`), and a few metrics
 * in CloudWatch's embedded metric format, which CloudWatch reads from the logs: no API call, no
 * extra permission, nothing billed while no job runs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ObservabilityConfig } from './config.ts';

export { MetricUnit };

export const SERVICE_NAME = 'fanout';

/** The metrics the pipeline emits, one name each, so dashboards and alarms can rely on them. */
export const MetricName = {
  /** The starter started an execution for an upload. */
  jobsStarted: 'JobsStarted',
  /** The splitter refused an upload (its manifest says why). */
  inputsRejected: 'InputsRejected',
  /** Wall-clock seconds the encoder spent on one chunk, every rung. */
  chunkEncodeSeconds: 'ChunkEncodeSeconds',
  /** Wall-clock seconds the encoder spent on a file's audio. */
  audioEncodeSeconds: 'AudioEncodeSeconds',
  jobsSucceeded: 'JobsSucceeded',
  jobsFailed: 'JobsFailed',
} as const;

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

export function createObservability(functionName: string, config: ObservabilityConfig): Observability {
  return {
    logger: new Logger({ serviceName: SERVICE_NAME, logLevel: config.POWERTOOLS_LOG_LEVEL, persistentKeys: { fn: functionName } }),
    metrics: new Metrics({ serviceName: SERVICE_NAME, namespace: config.POWERTOOLS_METRICS_NAMESPACE }),
  };
}

export type LambdaContext = Parameters<Logger['addContext']>[0];

/**
 * A handler with its invocation's bookkeeping: the Lambda context on every line, a failure
 * logged (then rethrown, for Step Functions to match), the metrics flushed, and the keys the
 * handler appended cleared, so a warm sandbox never logs the previous job's id.
 */
export function instrumented<Result>({ logger, metrics }: Observability, handler: (event: unknown, context?: LambdaContext) => Promise<Result>) {
  return async (event: unknown, context?: LambdaContext): Promise<Result> => {
    if (context) logger.addContext(context);
    try {
      return await handler(event, context);
    } catch (error) {
      logger.error('invocation failed', error instanceof Error ? error : String(error));
      throw error;
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}
