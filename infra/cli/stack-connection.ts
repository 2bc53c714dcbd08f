/**
 * How the CLI reaches a running stack. `fanout dev` writes its endpoints to
 * `<state dir>/stack.json`; `fanout upload` and `fanout status` read them from there.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { createS3Client, createSfnClient } from '../../shared/aws-clients.ts';
import type { LocalStack } from '../local/local-stack.ts';
import { DEFAULT_STACK_NAME, describeDeployedStack, outputsFromFile } from '../cdk/deployed-stack.ts';

export const StackConnection = z.object({
  storageKind: z.string(),
  s3Endpoint: z.string(),
  stepFunctionsEndpoint: z.string(),
  credentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }),
  region: z.string(),
  buckets: z.object({ input: z.string(), renditions: z.string(), work: z.string() }),
  stateMachineArn: z.string(),
  /** The job API and its bearer key (absent in files written before the API existed). */
  apiEndpoint: z.string().optional(),
  apiKey: z.string().optional(),
  /** The dashboard, opened signed in: the key rides in the URL's fragment. */
  dashboardUrl: z.string().optional(),
  pid: z.number().int(),
});
export type StackConnection = z.infer<typeof StackConnection>;

/** What the commands need of a stack, local or deployed: its names and clients to reach it. */
export interface StackClients {
  buckets: { input: string; renditions: string };
  stateMachineArn: string;
  s3: S3Client;
  sfn: SFNClient;
}

export function defaultStateDir(): string {
  return resolve(process.env.FANOUT_STATE_DIR ?? '.fanout');
}

const fileIn = (stateDir: string) => join(stateDir, 'stack.json');

export function connectionOf(stack: LocalStack): StackConnection {
  return {
    storageKind: stack.storage.kind,
    s3Endpoint: stack.storage.endpoint,
    stepFunctionsEndpoint: stack.stepFunctionsEndpoint,
    credentials: stack.storage.credentials,
    region: stack.deployment.region,
    buckets: stack.deployment.buckets,
    stateMachineArn: stack.deployment.stateMachine.arn,
    apiEndpoint: stack.api.endpoint,
    apiKey: stack.api.apiKey,
    dashboardUrl: stack.api.dashboardUrl,
    pid: process.pid,
  };
}

export async function writeConnection(stateDir: string, connection: StackConnection): Promise<void> {
  await writeFile(fileIn(stateDir), JSON.stringify(connection, null, 2), { mode: 0o600 });
}

export async function removeConnection(stateDir: string): Promise<void> {
  await rm(fileIn(stateDir), { force: true });
}

export async function readConnection(stateDir: string): Promise<StackConnection> {
  let text: string;
  try {
    text = await readFile(fileIn(stateDir), 'utf8');
  } catch {
    throw new Error(`no running stack found in ${stateDir}: start one with \`npx fanout dev\` in another terminal`);
  }
  const connection = StackConnection.parse(JSON.parse(text));
  if (!isAlive(connection.pid)) throw new Error(`the stack recorded in ${stateDir} (pid ${connection.pid}) is not running: start it with \`npx fanout dev\``);
  return connection;
}

export function clientsFor(connection: StackConnection): StackClients {
  const credentials = { credentials: connection.credentials, region: connection.region };
  return {
    buckets: connection.buckets,
    stateMachineArn: connection.stateMachineArn,
    s3: createS3Client({ AWS_ENDPOINT_URL_S3: connection.s3Endpoint, S3_FORCE_PATH_STYLE: true }, credentials),
    sfn: createSfnClient({ AWS_ENDPOINT_URL_SFN: connection.stepFunctionsEndpoint, S3_FORCE_PATH_STYLE: true }, credentials),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The deployed stack (`--aws`): the same clients with no endpoint override and the default
 * credential chain, the names from the stack's outputs (the file `npm run deploy` writes).
 */
export async function awsClients(stackName: string = DEFAULT_STACK_NAME): Promise<StackClients> {
  const stack = await describeDeployedStack(outputsFromFile(), stackName);
  const connection = { region: stack.region };
  return {
    buckets: stack.buckets,
    stateMachineArn: stack.stateMachineArn,
    s3: createS3Client({ S3_FORCE_PATH_STYLE: false }, connection),
    sfn: createSfnClient({ S3_FORCE_PATH_STYLE: false }, connection),
  };
}

/** The stack a command talks to: the deployed one with `--aws`, else the running local one. */
export async function connectToStack(options: { aws?: boolean; stack?: string }): Promise<StackClients> {
  return options.aws ? awsClients(options.stack) : clientsFor(await readConnection(defaultStateDir()));
}
