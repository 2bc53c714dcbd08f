/**
 * Follows one job until its manifest exists: the manifest is the job's final word on every
 * host. While it runs, the execution's history tells how far the fan-out has got.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeExecutionCommand, ExecutionDoesNotExist, paginateGetExecutionHistory, type SFNClient } from '@aws-sdk/client-sfn';
import type { S3Client } from '@aws-sdk/client-s3';
import { Manifest } from '../../shared/contracts/manifest.ts';
import { keys } from '../../shared/keys.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { executionArnFor } from '../../shared/workflow.ts';

export interface JobProgress {
  phase: 'waiting for the splitter' | 'running' | 'assembling';
  done: number;
  total: number;
  /** Set once the execution is no longer running: how it ended, and why when it failed. */
  ended?: { status: string; error?: string; cause?: string };
}

export interface WatchOptions {
  s3: S3Client;
  sfn: SFNClient;
  renditionsBucket: string;
  stateMachineArn: string;
  jobId: string;
  timeoutMs?: number;
  pollMs?: number;
  onProgress?: (progress: JobProgress) => void;
}

export async function readManifest(s3: S3Client, renditionsBucket: string, jobId: string): Promise<Manifest | undefined> {
  const raw = await s3ObjectStore(s3).getJson({ bucket: renditionsBucket, key: keys.manifest(jobId) });
  return raw === undefined ? undefined : Manifest.parse(raw);
}

/**
 * How long an execution that ended without a manifest is given for the finalizer to write one
 * (its event, two retries with backoff) before the watch gives up and says why.
 */
export const FINALIZER_GRACE_MS = 20_000;

export async function watchJob(options: WatchOptions): Promise<Manifest> {
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const deadline = Date.now() + timeoutMs;
  let endedAt: number | undefined;
  while (Date.now() < deadline) {
    const manifest = await readManifest(options.s3, options.renditionsBucket, options.jobId);
    if (manifest) return manifest;
    const progress = await progressOf(options);
    options.onProgress?.(progress);
    if (progress.ended) {
      endedAt ??= Date.now();
      if (Date.now() - endedAt > FINALIZER_GRACE_MS) {
        const { status, error, cause } = progress.ended;
        throw new Error(`job ${options.jobId}: its execution ended ${status} and no manifest was written${error ? `: ${error}${cause ? `: ${cause}` : ''}` : ''}`);
      }
    }
    await sleep(options.pollMs ?? 250);
  }
  throw new Error(`job ${options.jobId} did not finish within ${Math.round(timeoutMs / 1000)} s`);
}

export async function progressOf({ sfn, stateMachineArn, jobId }: Pick<WatchOptions, 'sfn' | 'stateMachineArn' | 'jobId'>): Promise<JobProgress> {
  const executionArn = executionArnFor(stateMachineArn, jobId);
  try {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const input = JSON.parse(execution.input ?? '{}') as Partial<Record<'chunkTasks' | 'audioTasks' | 'imageTasks', unknown[]>>;
    const total = (input.chunkTasks?.length ?? 0) + (input.audioTasks?.length ?? 0) + (input.imageTasks?.length ?? 0);
    let done = 0;
    let assembling = false;
    for await (const page of paginateGetExecutionHistory({ client: sfn }, { executionArn, maxResults: 1000 })) {
      for (const event of page.events ?? []) {
        if (event.type === 'MapIterationSucceeded') done++;
        if (event.type === 'TaskStateEntered' && event.stateEnteredEventDetails?.name === 'Assemble') assembling = true;
      }
    }
    const ended = execution.status === 'RUNNING' ? undefined : { status: execution.status ?? 'UNKNOWN', ...(execution.error && { error: execution.error }), ...(execution.cause && { cause: execution.cause }) };
    return { phase: assembling ? 'assembling' : 'running', done, total, ...(ended && { ended }) };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return { phase: 'waiting for the splitter', done: 0, total: 0 };
    throw error;
  }
}
