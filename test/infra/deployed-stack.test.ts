/** The CLI's view of a deployed stack: the outputs it reads are the ones the stack declares. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDeployedStack, outputsFromFile, STACK_OUTPUTS, type StackOutput } from '../../infra/cdk/deployed-stack.ts';
import { synthesizeTemplate } from './template-support.ts';

const arn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:PipelineStateMachine1814BD05-abc';
const outputs: StackOutput[] = [
  { OutputKey: 'InputBucketName', OutputValue: 'fanout-inputbucket-1' },
  { OutputKey: 'RenditionsBucketName', OutputValue: 'fanout-renditionsbucket-1' },
  { OutputKey: 'WorkBucketName', OutputValue: 'fanout-workbucket-1' },
  { OutputKey: 'StateMachineArn', OutputValue: arn },
  { OutputKey: 'AlarmTopicArn', OutputValue: 'arn:aws:sns:eu-west-1:123456789012:alarms' },
];

describe('describeDeployedStack', () => {
  it('reads the buckets, the state machine and its region from the stack outputs', async () => {
    const asked: string[] = [];
    const stack = await describeDeployedStack(async (name) => (asked.push(name), outputs), 'Fanout-staging');
    expect(asked).toEqual(['Fanout-staging']);
    expect(stack).toEqual({
      stackName: 'Fanout-staging',
      region: 'eu-west-1',
      buckets: { input: 'fanout-inputbucket-1', renditions: 'fanout-renditionsbucket-1', work: 'fanout-workbucket-1' },
      stateMachineArn: arn,
    });
  });

  it('reads the API endpoint, the playback domain and the job events bus where the stack has them', async () => {
    const surface = [
      { OutputKey: 'ApiEndpoint', OutputValue: 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com' },
      { OutputKey: 'PlaybackDomain', OutputValue: 'd111111abcdef8.cloudfront.net' },
      { OutputKey: 'EventBusName', OutputValue: 'Fanout-jobs' },
    ];
    const stack = await describeDeployedStack(async () => [...outputs, ...surface]);
    expect(stack.publicSurface).toEqual({ apiEndpoint: 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com', playbackDomain: 'd111111abcdef8.cloudfront.net', eventBusName: 'Fanout-jobs' });
    expect((await describeDeployedStack(async () => outputs)).publicSurface).toBeUndefined();
    await expect(describeDeployedStack(async () => [...outputs, surface[0]!])).rejects.toThrow(/no output PlaybackDomain/);
  });

  it('names the missing output and the stack when the stack is not (fully) deployed', async () => {
    await expect(describeDeployedStack(async () => outputs.filter((output) => output.OutputKey !== 'WorkBucketName'))).rejects.toThrow(
      /stack Fanout has no output WorkBucketName/,
    );
  });

  it('asks only for outputs the synthesized stack declares', () => {
    const declared = Object.keys(synthesizeTemplate().toJSON().Outputs as object);
    expect(declared).toEqual(expect.arrayContaining(Object.values(STACK_OUTPUTS)));
  });

  it('reads the same outputs from the file `cdk deploy --outputs-file` writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-outputs-'));
    try {
      const path = join(dir, 'aws-outputs.json');
      const values = Object.fromEntries(outputs.map((output) => [output.OutputKey!, output.OutputValue!]));
      writeFileSync(path, JSON.stringify({ Other: {}, Fanout: values }));
      const stack = await describeDeployedStack(outputsFromFile(path));
      expect(stack.buckets.input).toBe('fanout-inputbucket-1');
      await expect(describeDeployedStack(outputsFromFile(path), 'Other')).rejects.toThrow(/stack Other has no output/);
      await expect(describeDeployedStack(outputsFromFile(join(dir, 'missing.json')))).rejects.toThrow(/npm run deploy/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
