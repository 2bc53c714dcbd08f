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

export const StackConnection = z.object({
  storageKind: z.string(),
  s3Endpoint: z.string(),
  stepFunctionsEndpoint: z.string(),
  credentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }),
  region: z.string(),
  buckets: z.object({ input: z.string(), renditions: z.string(), work: z.string() }),
  stateMachineArn: z.string(),
  pid: z.number().int(),
});
export type StackConnection = z.infer<typeof StackConnection>;

export interface StackClients {
  connection: StackConnection;
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
    connection,
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
