/** What happens when things fail: lost events, executions that end without a manifest, the alarms, and the state machine's logs. */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASYNC_RETRIES, JOB_LIFECYCLE_STATUSES, UNFINISHED_EXECUTION_STATUSES } from '../../infra/cdk/fanout-stack.ts';
import { functionIds, resourcesOf, synthesizeTemplate, type Resource } from './template-support.ts';

let template: Template;
let resources: Record<string, Resource>;
const only = (type: string): [string, Resource] => {
  const found = Object.entries(resources).filter(([, resource]) => resource.Type === type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

/** The pipeline's dead-letter queue (the webhook deliveries have queues of their own: test/infra/public-surface.test.ts). */
const deadLetters = (): [string, Resource] => {
  const found = Object.entries(resources).filter(([id, resource]) => resource.Type === 'AWS::SQS::Queue' && id.startsWith('DeadLetters'));
  expect(found).toHaveLength(1);
  return found[0]!;
};
/** The rule on the default bus: the executions' status changes (the job events' rule sits on the stack's own bus). */
const executionRule = (): [string, Resource] => {
  const found = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::Events::Rule' && resource.Properties.EventBusName === undefined);
  expect(found).toHaveLength(1);
  return found[0]!;
};

beforeAll(() => {
  template = synthesizeTemplate();
  resources = resourcesOf(template);
});

describe('asynchronous invocations (the upload event, the execution end)', () => {
  it.each(['starter', 'finalizer'] as const)('of the %s retry twice within six hours, then send the event and its error to the dead-letter queue', (name) => {
    const [queueId] = deadLetters();
    const configs = Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::EventInvokeConfig');
    expect(configs.map((config) => config.Properties)).toContainEqual({
      FunctionName: { Ref: functionIds(template)[name] },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    expect(configs).toHaveLength(2);
    expect(ASYNC_RETRIES.retryAttempts).toBe(2);
  });

  it('keeps dead letters 14 days, encrypted, reachable over TLS only', () => {
    const [queueId, queue] = deadLetters();
    expect(queue.Properties).toMatchObject({ MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    const [, policy] = Object.entries(resources).find(([, resource]) => resource.Type === 'AWS::SQS::QueuePolicy' && JSON.stringify(resource.Properties.Queues) === JSON.stringify([{ Ref: queueId }]))!;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
});

describe('executions that end without reaching the assembler', () => {
  it('go to the finalizer: a rule on this state machine\'s starts and ends (FAILED, TIMED_OUT and ABORTED among them), with the dead-letter queue behind it', () => {
    const [stateMachineId] = only('AWS::StepFunctions::StateMachine');
    const [queueId] = deadLetters();
    const [, rule] = executionRule();
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [{ Ref: stateMachineId }], status: ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
    expect(UNFINISHED_EXECUTION_STATUSES).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
    expect(JOB_LIFECYCLE_STATUSES).toEqual(expect.arrayContaining(UNFINISHED_EXECUTION_STATUSES));
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [functionIds(template).finalizer, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 6 * 3600, MaximumRetryAttempts: 2 },
      }),
    ]);
  });
});

describe('alarms', () => {
  const alarms = () => Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');

  it('raise one alarm when an execution fails or times out, to the alarm topic', () => {
    const [stateMachineId] = only('AWS::StepFunctions::StateMachine');
    const [alarmTopicId] = only('AWS::SNS::Topic');
    const failed = alarms().find((alarm) => JSON.stringify(alarm.Properties.Metrics ?? []).includes('ExecutionsFailed'))!;
    expect(failed.Properties).toMatchObject({
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: alarmTopicId }],
    });
    const metrics = failed.Properties.Metrics as Array<Record<string, any>>;
    expect(metrics.find((metric) => metric.ReturnData !== false)).toMatchObject({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)' });
    for (const [id, name] of [['failed', 'ExecutionsFailed'], ['timedOut', 'ExecutionsTimedOut']] as const) {
      expect(metrics.find((metric) => metric.Id === id)).toMatchObject({
        ReturnData: false,
        MetricStat: {
          Metric: { Namespace: 'AWS/States', MetricName: name, Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: stateMachineId } }] },
          Period: 300,
          Stat: 'Sum',
        },
      });
    }
  });

  it('raise one alarm when an upload event lands in the dead-letter queue', () => {
    const [queueId] = deadLetters();
    const [alarmTopicId] = only('AWS::SNS::Topic');
    const lost = alarms().find((alarm) => alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(alarm.Properties.Dimensions).includes(queueId))!;
    expect(lost.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: alarmTopicId }],
    });
    // The third: the webhook dead-letter queue's (test/infra/public-surface.test.ts).
    expect(alarms()).toHaveLength(3);
  });
});

describe('state machine logging and tracing', () => {
  it('logs errors without execution data to a log group of its own, kept a month, and traces with X-Ray', () => {
    const [, stateMachine] = only('AWS::StepFunctions::StateMachine');
    const destination = stateMachine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
    expect(stateMachine.Properties.LoggingConfiguration).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
    expect(stateMachine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(resources[destination]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    expect(JSON.stringify(resources[destination]!.Properties.LogGroupName)).toContain('/aws/vendedlogs/states/');
  });
});
