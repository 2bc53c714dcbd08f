/** What happens when things fail: the splitter's lost events, the alarms, and the state machine's logs. */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SPLITTER_ASYNC_RETRIES } from '../../infra/cdk/fanout-stack.ts';
import { functionIds, resourcesOf, synthesizeTemplate, type Resource } from './template-support.ts';

let template: Template;
let resources: Record<string, Resource>;
const only = (type: string): [string, Resource] => {
  const found = Object.entries(resources).filter(([, resource]) => resource.Type === type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

beforeAll(() => {
  template = synthesizeTemplate();
  resources = resourcesOf(template);
});

describe("the splitter's asynchronous invocation", () => {
  it('retries twice within six hours, then sends the event and its error to the dead-letter queue', () => {
    const [queueId] = only('AWS::SQS::Queue');
    const [, invokeConfig] = only('AWS::Lambda::EventInvokeConfig');
    expect(invokeConfig.Properties).toEqual({
      FunctionName: { Ref: functionIds(template).splitter },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    expect(SPLITTER_ASYNC_RETRIES.retryAttempts).toBe(2);
  });

  it('keeps dead letters 14 days, encrypted, reachable over TLS only', () => {
    const [queueId, queue] = only('AWS::SQS::Queue');
    expect(queue.Properties).toMatchObject({ MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    const [, policy] = only('AWS::SQS::QueuePolicy');
    expect(policy.Properties.Queues).toEqual([{ Ref: queueId }]);
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
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
    const [queueId] = only('AWS::SQS::Queue');
    const [alarmTopicId] = only('AWS::SNS::Topic');
    const lost = alarms().find((alarm) => alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')!;
    expect(lost.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: alarmTopicId }],
    });
    expect(alarms()).toHaveLength(2);
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
