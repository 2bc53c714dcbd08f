/** Precise assertions on the synthesized template: the state machine's shape and the buckets' guard rails. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FanoutStack } from '../../infra/cdk/fanout-stack.ts';
import { IMAGE_MAP_CONCURRENCY } from '../../infra/cdk/pipeline-state-machine.ts';
import { synthesizeLocalDeployment } from '../../infra/local/local-deployment.ts';

type State = Record<string, any>;
let template: Template;
let states: Record<string, State>;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(new FanoutStack(app, 'Fanout'));
  // The local host's resolved copy of the very same definition: same states, local ARNs.
  states = synthesizeLocalDeployment().stateMachine.definition['States' as keyof object] as Record<string, State>;
});

describe('state machine', () => {
  it('routes a rejected upload straight to the assembler', () => {
    expect(states['Accepted?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.outcome', StringEquals: 'rejected', Next: 'Assemble' }],
      Default: 'ResizeImages',
    });
  });

  it('fans the image sizes out through a Map with bounded concurrency', () => {
    const map = states['ResizeImages']!;
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.imageTasks', MaxConcurrency: IMAGE_MAP_CONCURRENCY, ResultPath: '$.imageResults', Next: 'Assemble' });
    expect(map.ItemProcessor.States.ResizeImage.Resource).toMatch(/function:fanout-image-resize$/);
  });

  it('catches any failure of the fan-out into the assembler, keeping the plan', () => {
    expect(states['ResizeImages']!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Assemble' }]);
  });

  it('retries transient and Lambda service errors with jittered backoff, and never a rejected input', () => {
    for (const task of [states['ResizeImages']!.ItemProcessor.States.ResizeImage, states['Assemble']!]) {
      const [transient, sandbox] = task.Retry;
      expect(transient).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL', IntervalSeconds: 1 });
      expect(transient.ErrorEquals).toEqual(expect.arrayContaining(['TransientError', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException']));
      expect(sandbox).toMatchObject({ ErrorEquals: ['Sandbox.Timedout', 'Runtime.ExitError'], MaxAttempts: 1 });
      const retried = task.Retry.flatMap((retrier: State) => retrier.ErrorEquals);
      expect(retried).not.toContain('InputRejected');
      expect(retried).not.toContain('States.ALL');
      expect(task.TimeoutSeconds).toBeGreaterThan(0);
    }
  });

  it('ends a failed job as a failed execution, after its manifest is written', () => {
    expect(states['Assemble']).toMatchObject({ ResultPath: '$.job', Next: 'Job failed?' });
    expect(states['Job failed?']!.Choices).toEqual([{ Variable: '$.job.status', StringEquals: 'failed', Next: 'Failed' }]);
    expect(states['Failed']).toMatchObject({ Type: 'Fail', Error: 'JobFailed' });
  });
});

describe('buckets', () => {
  it('block public access and encrypt every bucket at rest', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(3);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    }
  });

  it('deny every request that is not over TLS', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(3);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('version the input bucket and trigger the splitter on every upload to it', () => {
    template.hasResource('AWS::S3::Bucket', { Metadata: { 'fanout:bucket': 'input' }, Properties: Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } }) });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { LambdaFunctionConfigurations: [Match.objectLike({ Events: ['s3:ObjectCreated:*'] })] },
    });
  });
});
