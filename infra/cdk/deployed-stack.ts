/**
 * The deployed stack as the CLI needs it: the names `fanout upload` and `fanout status` use,
 * read from the stack's CloudFormation outputs. Reading the outputs is a port with two
 * bindings: the file `npm run deploy` writes (`cdk deploy --outputs-file`, below), and
 * CloudFormation's DescribeStacks, one line once @aws-sdk/client-cloudformation is installed:
 *
 *   import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
 *   const readOutputs: ReadStackOutputs = async (stackName) =>
 *     (await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs ?? [];
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

export const DEFAULT_STACK_NAME = 'Fanout';

/** The output keys the stack declares (infra/cdk/fanout-stack.ts) and the CLI reads. */
export const STACK_OUTPUTS = {
  inputBucket: 'InputBucketName',
  renditionsBucket: 'RenditionsBucketName',
  workBucket: 'WorkBucketName',
  stateMachineArn: 'StateMachineArn',
  apiEndpoint: 'ApiEndpoint',
  playbackDomain: 'PlaybackDomain',
  eventBusName: 'EventBusName',
} as const;

export interface StackOutput {
  OutputKey?: string | undefined;
  OutputValue?: string | undefined;
}

export type ReadStackOutputs = (stackName: string) => Promise<StackOutput[]>;

/** Where `npm run deploy` asks the CDK to write the outputs of what it deployed. */
export const OUTPUTS_FILE = '.fanout/aws-outputs.json';

/** The outputs file binding: `{ "<stack>": { "<OutputKey>": "<value>" } }`, as `cdk deploy --outputs-file` writes it. */
export function outputsFromFile(path: string = OUTPUTS_FILE): ReadStackOutputs {
  return async (stackName) => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      throw new Error(`no ${path}: deploy with \`npm run deploy\` from this folder, or read the outputs from CloudFormation`);
    }
    const stacks = z.record(z.string(), z.record(z.string(), z.string())).parse(JSON.parse(text));
    return Object.entries(stacks[stackName] ?? {}).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));
  };
}

export const DeployedStack = z.object({
  stackName: z.string(),
  /** From the state machine's ARN: the region the clients must talk to. */
  region: z.string(),
  buckets: z.object({ input: z.string(), renditions: z.string(), work: z.string() }),
  stateMachineArn: z.string().regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:.+$/),
  /** The job API, playback and job events: absent from a stack deployed before they existed. */
  publicSurface: z.object({ apiEndpoint: z.url(), playbackDomain: z.string().min(1), eventBusName: z.string().min(1) }).optional(),
});
export type DeployedStack = z.infer<typeof DeployedStack>;

export async function describeDeployedStack(readOutputs: ReadStackOutputs, stackName: string = DEFAULT_STACK_NAME): Promise<DeployedStack> {
  const outputs = new Map((await readOutputs(stackName)).map((output) => [output.OutputKey, output.OutputValue]));
  const value = (key: string) => {
    const found = outputs.get(key);
    if (!found) throw new Error(`stack ${stackName} has no output ${key}: is it deployed (\`npm run deploy\`), and is this its name (--stack)?`);
    return found;
  };
  const stateMachineArn = value(STACK_OUTPUTS.stateMachineArn);
  const apiEndpoint = outputs.get(STACK_OUTPUTS.apiEndpoint);
  return DeployedStack.parse({
    stackName,
    region: stateMachineArn.split(':')[3],
    buckets: { input: value(STACK_OUTPUTS.inputBucket), renditions: value(STACK_OUTPUTS.renditionsBucket), work: value(STACK_OUTPUTS.workBucket) },
    stateMachineArn,
    ...(apiEndpoint ? { publicSurface: { apiEndpoint, playbackDomain: value(STACK_OUTPUTS.playbackDomain), eventBusName: value(STACK_OUTPUTS.eventBusName) } } : {}),
  });
}
