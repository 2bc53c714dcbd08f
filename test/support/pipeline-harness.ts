/**
 * Integration-test helpers around a real local stack: real MinIO or the embedded S3 server,
 * the real local Step Functions endpoint, real worker processes running the real handlers.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { GetExecutionHistoryCommand, ListExecutionsCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { executionArnFor } from '../../shared/workflow.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../infra/local/local-stack.ts';
import { readManifest } from '../../infra/cli/watch-job.ts';

export interface TestStack {
  stack: LocalStack;
  stateDir: string;
  stop(): Promise<void>;
}

export async function startTestStack(options: Omit<LocalStackOptions, 'stateDir'> & { stateDir?: string }): Promise<TestStack> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'fanout-test-')));
  const stack = await startLocalStack({ ...options, stateDir, concurrency: options.concurrency ?? 2 });
  return {
    stack,
    stateDir,
    async stop() {
      await stack.stop();
      if (!options.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Uploads like any S3 client would (a plain PutObject), so the trigger under test is the storage's own. */
export async function putUpload(stack: LocalStack, filePath: string, key = basename(filePath)): Promise<{ upload: UploadRef; jobId: string }> {
  const body = await readFile(filePath);
  const put = await stack.s3.send(new PutObjectCommand({ Bucket: stack.deployment.buckets.input, Key: key, Body: body }));
  const upload: UploadRef = { bucket: stack.deployment.buckets.input, key, size: body.length, etag: put.ETag?.replace(/"/g, ''), versionId: put.VersionId };
  return { upload, jobId: jobIdFor(upload) };
}

export function waitForManifest(stack: LocalStack, jobId: string, timeoutMs = 60_000): Promise<Manifest> {
  return stack.waitForJob(jobId, { timeoutMs, pollMs: 100 });
}

export async function processFile(stack: LocalStack, filePath: string, key?: string): Promise<Manifest> {
  const { jobId } = await putUpload(stack, filePath, key);
  return waitForManifest(stack, jobId);
}

export async function readRendition(stack: LocalStack, key: string): Promise<Buffer> {
  const object = await stack.s3.send(new GetObjectCommand({ Bucket: stack.deployment.buckets.renditions, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

export async function keysUnder(stack: LocalStack, prefix: string): Promise<string[]> {
  const page = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.deployment.buckets.renditions, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key!).sort();
}

export async function executionsNamed(stack: LocalStack, name: string): Promise<number> {
  const listed = await stack.sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.deployment.stateMachine.arn, maxResults: 1000 }));
  return (listed.executions ?? []).filter((execution) => execution.name === name).length;
}

export async function historyOf(stack: LocalStack, jobId: string): Promise<HistoryEvent[]> {
  const history = await stack.sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArnFor(stack.deployment.stateMachine.arn, jobId), maxResults: 1000 }));
  return history.events ?? [];
}

export { readManifest };
