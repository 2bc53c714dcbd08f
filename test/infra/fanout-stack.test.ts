/** Precise assertions on the synthesized template: the state machine's shape and the buckets' guard rails. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FanoutStack } from '../../infra/cdk/fanout-stack.ts';
import { AUDIO_MAP_CONCURRENCY, DISTRIBUTED_CHUNK_CONCURRENCY, IMAGE_MAP_CONCURRENCY, INLINE_CHUNK_CONCURRENCY } from '../../infra/cdk/pipeline-state-machine.ts';
import { synthesizeLocalDeployment } from '../../infra/local/local-deployment.ts';
import { synthesizeTemplate } from './template-support.ts';

type State = Record<string, any>;
let template: Template;
let states: Record<string, State>;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(new FanoutStack(app, 'Fanout'));
  // The local host's resolved copy of the very same definition: same states, local ARNs.
  states = synthesizeLocalDeployment().stateMachine.definition['States' as keyof object] as Record<string, State>;
});

/** Every Task state of the definition, wherever it is nested. */
function tasksOf(graph: Record<string, State>): Array<[string, State]> {
  return Object.entries(graph).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [[name, state] as [string, State]] : []),
    ...(state.ItemProcessor ? tasksOf(state.ItemProcessor.States) : []),
    ...(state.Branches ?? []).flatMap((branch: State) => tasksOf(branch.States)),
  ]);
}

describe('state machine', () => {
  const branches = () => states['FanOut']!.Branches as Array<{ StartAt: string; States: Record<string, State> }>;

  it('starts with the split, whose plan joins the execution input, and catches a split that crashed or timed out into the assembler', () => {
    const definition = synthesizeLocalDeployment().stateMachine.definition as { StartAt: string };
    expect(definition.StartAt).toBe('Split');
    expect(states['Split']).toMatchObject({ Type: 'Task', ResultPath: '$.plan', Next: 'Accepted?' });
    expect(states['Split']!.Resource).toMatch(/function:fanout-splitter$/);
    expect(states['Split']!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Assemble' }]);
  });

  it('fans out an accepted upload, and sends a rejected or failed plan straight to the assembler', () => {
    expect(states['Accepted?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.outcome', StringEquals: 'accepted', Next: 'FanOut' }],
      Default: 'Assemble',
    });
  });

  it('fans out chunks, audio and images side by side, and names their results', () => {
    expect(states['FanOut']).toMatchObject({
      Type: 'Parallel',
      ResultSelector: { 'probeResults.$': '$[0].probeResults', 'chunkResults.$': '$[0].chunkResults', 'audioResults.$': '$[1]', 'imageResults.$': '$[2]' },
      ResultPath: '$.results',
      Next: 'Assemble',
    });
    expect(branches().map((branch) => branch.StartAt)).toEqual(['Distributed?', 'EncodeAudio', 'ResizeImages']);
  });

  it('encodes chunks in an inline Map at its 40-at-once limit, or a Distributed Map past the threshold', () => {
    const chunkBranch = branches()[0]!.States;
    expect(chunkBranch['Distributed?']).toMatchObject({ Choices: [{ Variable: '$.plan.fanOut', StringEquals: 'distributed', Next: 'Search CRFs? (distributed)' }], Default: 'Search CRFs?' });
    expect(chunkBranch['EncodeChunks']).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.chunkTasks', MaxConcurrency: INLINE_CHUNK_CONCURRENCY, ResultPath: '$.chunkResults', Next: 'VideoResults' });
    expect(chunkBranch['EncodeChunksDistributed']).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.chunkTasks',
      MaxConcurrency: DISTRIBUTED_CHUNK_CONCURRENCY,
      ResultPath: null,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
    });
    expect(chunkBranch['EncodeChunks']!.ItemProcessor.States.EncodeChunk.Resource).toMatch(/function:fanout-encoder$/);
    // The item and its retry count, so the manifest can tell a retried chunk.
    expect(chunkBranch['EncodeChunks']!.ItemProcessor.States.EncodeChunk.Parameters).toEqual({ 'task.$': '$', 'retryCount.$': '$$.State.RetryCount' });
    expect(chunkBranch['EncodeChunksDistributed']!.ItemProcessor.States.EncodeChunkInChildExecution.Parameters).toEqual({ 'task.$': '$', 'retryCount.$': '$$.State.RetryCount' });
  });

  it('searches every chunk’s CRFs (target mode) before any chunk is encoded, inline or distributed, and passes both results on', () => {
    const chunkBranch = branches()[0]!.States;
    const searching = { Variable: '$.plan.probeTasks[0]', IsPresent: true };
    expect(chunkBranch['Search CRFs?']).toEqual({ Type: 'Choice', Choices: [{ ...searching, Next: 'ProbeChunks' }], Default: 'NoProbes' });
    expect(chunkBranch['ProbeChunks']).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.probeTasks', MaxConcurrency: INLINE_CHUNK_CONCURRENCY, ResultPath: '$.probeResults', Next: 'EncodeChunks' });
    expect(chunkBranch['NoProbes']).toMatchObject({ Type: 'Pass', Result: [], ResultPath: '$.probeResults', Next: 'EncodeChunks' });
    expect(chunkBranch['Search CRFs? (distributed)']).toEqual({ Type: 'Choice', Choices: [{ ...searching, Next: 'ProbeChunksDistributed' }], Default: 'NoProbeTimings' });
    expect(chunkBranch['ProbeChunksDistributed']).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.probeTasks',
      MaxConcurrency: DISTRIBUTED_CHUNK_CONCURRENCY,
      ResultPath: null,
      Next: 'NoProbeTimings',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
    });
    expect(chunkBranch['NoProbeTimings']).toMatchObject({ Type: 'Pass', Result: [], ResultPath: '$.probeResults', Next: 'EncodeChunksDistributed' });
    expect(chunkBranch['NoChunkTimings']).toMatchObject({ Type: 'Pass', Result: [], ResultPath: '$.chunkResults', Next: 'VideoResults' });
    // Only the two result lists leave the branch, not the plan the Maps carried.
    expect(chunkBranch['VideoResults']).toMatchObject({ Type: 'Pass', Parameters: { 'probeResults.$': '$.probeResults', 'chunkResults.$': '$.chunkResults' }, End: true });
    // The encoder, with the chunk encodes' payload and retries.
    const probe = chunkBranch['ProbeChunks']!.ItemProcessor.States.ProbeChunk;
    const encode = chunkBranch['EncodeChunks']!.ItemProcessor.States.EncodeChunk;
    expect(probe.Resource).toMatch(/function:fanout-encoder$/);
    expect(probe.Parameters).toEqual({ 'task.$': '$', 'retryCount.$': '$$.State.RetryCount' });
    expect(probe.Retry).toEqual(encode.Retry);
    expect(chunkBranch['ProbeChunksDistributed']!.ItemProcessor.States.ProbeChunkInChildExecution.Retry).toEqual(encode.Retry);
  });

  it('encodes audio once, beside the chunks, and sizes images through a bounded Map', () => {
    expect(branches()[1]!.States['EncodeAudio']).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.audioTasks', MaxConcurrency: AUDIO_MAP_CONCURRENCY });
    expect(AUDIO_MAP_CONCURRENCY).toBeGreaterThan(1);
    const images = branches()[2]!.States['ResizeImages']!;
    expect(images).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.imageTasks', MaxConcurrency: IMAGE_MAP_CONCURRENCY });
    expect(images.ItemProcessor.States.ResizeImage.Resource).toMatch(/function:fanout-image-resize$/);
    expect(images.ItemProcessor.States.ResizeImage.Parameters).toEqual({ 'task.$': '$', 'retryCount.$': '$$.State.RetryCount' });
  });

  it('catches any failure of the fan-out into the assembler, keeping the plan', () => {
    expect(states['FanOut']!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Assemble' }]);
  });

  it('retries transient and Lambda service errors with jittered backoff on every task, and never a rejected input', () => {
    const tasks = tasksOf(states);
    expect(tasks.map(([name]) => name).sort()).toEqual(['Assemble', 'EncodeAudioTrack', 'EncodeChunk', 'EncodeChunkInChildExecution', 'ProbeChunk', 'ProbeChunkInChildExecution', 'ResizeImage', 'Split']);
    for (const [, task] of tasks) {
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

  it('gives the assembler, which writes the manifest, more tries than the tasks', () => {
    const maxAttempts = (name: string) => tasksOf(states).find(([stateName]) => stateName === name)![1].Retry[0].MaxAttempts;
    expect(maxAttempts('Assemble')).toBe(6);
    expect(maxAttempts('EncodeChunk')).toBe(3);
  });

  it('ends a failed job as a failed execution, after its manifest is written', () => {
    expect(states['Assemble']).toMatchObject({ ResultPath: '$.job', Next: 'Job failed?' });
    expect(states['Job failed?']!.Choices).toEqual([{ Variable: '$.job.status', StringEquals: 'failed', Next: 'Failed' }]);
    expect(states['Failed']).toMatchObject({ Type: 'Fail', Error: 'JobFailed' });
  });
});

describe('buckets', () => {
  const bucketWith = (role: string) => Object.values(template.findResources('AWS::S3::Bucket')).find((bucket) => bucket.Metadata?.['fanout:bucket'] === role)!;

  it('block public access and encrypt every bucket at rest, the access-log buckets included', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    // Input, renditions, work, their access logs, and CloudFront's logs.
    expect(Object.keys(buckets)).toHaveLength(5);
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
    expect(Object.keys(policies)).toHaveLength(5);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('version the input bucket and trigger the starter on every upload to it', () => {
    template.hasResource('AWS::S3::Bucket', { Metadata: { 'fanout:bucket': 'input' }, Properties: Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } }) });
    const inputBucket = Object.entries(template.findResources('AWS::S3::Bucket')).find(([, bucket]) => bucket.Metadata?.['fanout:bucket'] === 'input')![0];
    const starter = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, fn]) => fn.Metadata?.['fanout:function'] === 'starter')![0];
    template.resourcePropertiesCountIs('Custom::S3BucketNotifications', {}, 1);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: inputBucket },
      NotificationConfiguration: { LambdaFunctionConfigurations: [{ Events: ['s3:ObjectCreated:*'], LambdaFunctionArn: { 'Fn::GetAtt': [starter, 'Arn'] } }] },
    });
  });

  it('abort incomplete multipart uploads after a day in every bucket', () => {
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      );
    }
  });

  it('expire work objects after two days, and the input bucket’s old versions after thirty', () => {
    expect(bucketWith('work').Properties.LifecycleConfiguration.Rules).toContainEqual(expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 2 }));
    expect(bucketWith('input').Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
    );
    for (const role of ['input', 'renditions']) {
      const expiring = bucketWith(role).Properties.LifecycleConfiguration.Rules.filter((rule: State) => rule.ExpirationInDays !== undefined);
      expect(expiring, role).toEqual([]);
    }
  });

  it('log every request to the pipeline buckets into the access-log bucket, by the bucket policy, not ACLs', () => {
    const logs = Object.entries(template.findResources('AWS::S3::Bucket')).find(([, bucket]) => !bucket.Metadata?.['fanout:bucket'])!;
    for (const role of ['input', 'renditions', 'work']) {
      expect(bucketWith(role).Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logs[0] }, LogFilePrefix: `${role}/` });
    }
    expect(logs[1].Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(logs[1].Properties.AccessControl).toBeUndefined();
  });

  it('retain the buckets when the stack is deleted: uploads and renditions outlive `npm run destroy`', () => {
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) expect(bucket.DeletionPolicy).toBe('Retain');
  });
});

describe('quality target (context qualityTarget)', () => {
  const splitterEnvironment = (context: Record<string, string>) => {
    // The splitter: the one function told the assembler's storage.
    const functions = Object.values(synthesizeTemplate(context).findResources('AWS::Lambda::Function')) as State[];
    const splitter = functions.find((fn) => fn.Properties.Environment?.Variables?.ASSEMBLER_STORAGE_MIB !== undefined)!;
    return splitter.Properties.Environment.Variables as Record<string, unknown>;
  };

  it('sets QUALITY_TARGET on the deployed splitter only when given, and refuses a malformed one at synth', () => {
    expect(splitterEnvironment({ qualityTarget: 'ssim:0.98' })).toMatchObject({ QUALITY_TARGET: 'ssim:0.98' });
    expect(splitterEnvironment({})).not.toHaveProperty('QUALITY_TARGET');
    expect(() => synthesizeTemplate({ qualityTarget: 'ssim:98' })).toThrow(/qualityTarget: a quality target is ssim:<0..1>/);
  });
});
