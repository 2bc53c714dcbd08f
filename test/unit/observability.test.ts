/**
 * Observability: the stack gives each function a log group and names what a user needs in its
 * outputs; shared/observability.ts writes JSON lines carrying the job id and EMF metrics.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FUNCTION_LOG_RETENTION } from '../../infra/cdk/fanout-function.ts';
import { loadConfig, ObservabilityEnv } from '../../shared/config.ts';
import { createObservability, instrumented, MetricName, MetricUnit } from '../../shared/observability.ts';
import { functionIds, resourcesOf, synthesizeTemplate } from '../infra/template-support.ts';

let template: Template;

beforeAll(() => {
  template = synthesizeTemplate();
});

describe('in the template', () => {
  it('gives each function a log group of its own, kept a month', () => {
    const resources = resourcesOf(template);
    const logGroups = Object.values(functionIds(template)).map((id) => resources[id]!.Properties.LoggingConfig.LogGroup.Ref as string);
    expect(new Set(logGroups).size).toBe(Object.keys(functionIds(template)).length);
    expect(logGroups.length).toBe(8);
    for (const logGroup of logGroups) expect(resources[logGroup]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: FUNCTION_LOG_RETENTION } });
  });

  it('names the buckets, the state machine, the alarm topic, the dead-letter queues, the API, the playback domain and the event bus in its outputs', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'AlarmTopicArn',
      'ApiEndpoint',
      'DeadLetterQueueUrl',
      'EventBusName',
      'InputBucketName',
      'PlaybackDomain',
      'RenditionsBucketName',
      'StateMachineArn',
      'WebhookDeadLetterQueueUrl',
      'WorkBucketName',
    ]);
  });
});

describe('instrumented handlers', () => {
  let lines: Array<Record<string, any>>;

  /** Both streams, in order: Powertools writes WARN and ERROR to stderr; Lambda ships both to the log group. */
  function capture(): void {
    lines = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        return true;
      });
    }
  }

  afterEach(() => vi.restoreAllMocks());

  const config = loadConfig(ObservabilityEnv, {});

  it('puts the job id the handler appends on every line of that invocation, and on none after', async () => {
    capture();
    const observability = createObservability('encoder', config);
    const handler = instrumented(observability, async (event) => {
      const { jobId } = event as { jobId: string };
      observability.logger.appendKeys({ jobId });
      observability.logger.info('first');
      observability.logger.warn('second');
      return jobId;
    });

    await handler({ jobId: 'clip-1' });
    await instrumented(observability, async () => observability.logger.info('next invocation'))({});

    const logLines = lines.filter((line) => line.message);
    expect(logLines.map((line) => [line.message, line.jobId, line.level, line.service, line.fn])).toEqual([
      ['first', 'clip-1', 'INFO', 'fanout', 'encoder'],
      ['second', 'clip-1', 'WARN', 'fanout', 'encoder'],
      ['next invocation', undefined, 'INFO', 'fanout', 'encoder'],
    ]);
  });

  it('logs a failure with the job id and the error, then rethrows it unchanged', async () => {
    capture();
    const observability = createObservability('assembler', config);
    const failure = Object.assign(new Error('STORAGE_UNAVAILABLE: S3 said no'), { name: 'TransientError' });
    const handler = instrumented(observability, async () => {
      observability.logger.appendKeys({ jobId: 'clip-2' });
      throw failure;
    });

    await expect(handler({})).rejects.toBe(failure);
    expect(lines).toEqual([expect.objectContaining({ level: 'ERROR', message: 'invocation failed', jobId: 'clip-2', error: expect.objectContaining({ name: 'TransientError' }) })]);
  });

  it('flushes the invocation’s metrics as one embedded-metric-format line, in the Fanout namespace', async () => {
    capture();
    const observability = createObservability('encoder', config);
    await instrumented(observability, async () => observability.metrics.addMetric(MetricName.chunkEncodeSeconds, MetricUnit.Seconds, 3.5))({});

    const emf = lines.filter((line) => line._aws);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      ChunkEncodeSeconds: 3.5,
      _aws: { CloudWatchMetrics: [{ Namespace: 'Fanout', Metrics: [{ Name: 'ChunkEncodeSeconds', Unit: 'Seconds' }] }] },
    });
  });

  it('writes no metrics line, and no warning, for an invocation that recorded none', async () => {
    capture();
    const observability = createObservability('image-resize', config);
    await instrumented(observability, async () => 'done')({});
    expect(lines).toEqual([]);
  });
});
