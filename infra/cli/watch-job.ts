/**
 * Follows one job until its manifest exists: the manifest is the job's final word on every
 * host. While it runs, the execution's history tells how far the fan-out has got.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { TransientError } from '../../shared/errors.ts';
import { readJobManifest } from '../../shared/job-manifest.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { executionArnFor, executionHistory } from '../../shared/workflow.ts';
import { summarizeProgress, type ExecutionEnd, type JobProgress } from '../../shared/summarize-progress.ts';

export type { JobProgress };

export interface WatchOptions {
  s3: S3Client;
  sfn: SFNClient;
  renditionsBucket: string;
  stateMachineArn: string;
  jobId: string;
  /** When the upload completed (epoch ms): progress counts time from it. Default: when the watch began. */
  uploadedAt?: number;
  timeoutMs?: number;
  pollMs?: number;
  /** How long an ended execution is given for the finalizer's manifest (FINALIZER_GRACE_MS, or AWS_FINALIZER_GRACE_MS on AWS). */
  finalizerGraceMs?: number;
  onProgress?: (progress: JobProgress) => void;
}

export function readManifest(s3: S3Client, renditionsBucket: string, jobId: string): Promise<Manifest | undefined> {
  return readJobManifest(s3ObjectStore(s3), renditionsBucket, jobId);
}

/**
 * How long an execution that ended without a manifest is given for the finalizer to write one
 * (its event, two retries with backoff) before the watch gives up and says why. Locally the
 * finalizer may wait for a worker: a task of a stopped execution runs on (as a Lambda does),
 * and on a busy two-core machine 20 s proved too short.
 */
export const FINALIZER_GRACE_MS = 60_000;
/** On AWS the finalizer's retries are Lambda's asynchronous ones, minutes apart (1 min, then 2). */
export const AWS_FINALIZER_GRACE_MS = 5 * 60_000;

export async function watchJob(options: WatchOptions): Promise<Manifest> {
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const uploadedAt = options.uploadedAt ?? Date.now();
  const deadline = Date.now() + timeoutMs;
  let endedAt: number | undefined;
  while (Date.now() < deadline) {
    // Storage restarting (a supervised MinIO) is a pause in the watch, not its end.
    const manifest = await readManifest(options.s3, options.renditionsBucket, options.jobId).catch(unlessTransient);
    if (manifest) return manifest;
    // No execution yet: the upload waits for the starter. Throttled or unreachable: ask again.
    const progress = (await progressOf({ ...options, uploadedAt }).catch(unlessTransient)) ?? summarizeProgress([], { uploadedAt, now: Date.now() });
    options.onProgress?.(progress);
    if (progress.ended) {
      endedAt ??= Date.now();
      if (Date.now() - endedAt > (options.finalizerGraceMs ?? FINALIZER_GRACE_MS)) throw new Error(`job ${options.jobId}: ${describeEnd(progress.ended)}`);
    }
    await sleep(options.pollMs ?? 250);
  }
  throw new Error(`job ${options.jobId} did not finish within ${Math.round(timeoutMs / 1000)} s`);
}

function unlessTransient(error: unknown): undefined {
  if (error instanceof TransientError) return undefined;
  throw error;
}

/** An execution that ended without writing a manifest, in words. */
export function describeEnd({ status, error, cause }: Omit<ExecutionEnd, 'status'> & { status: string }): string {
  return `its execution ended ${status} without a manifest${error ? `: ${error}${cause ? `: ${cause}` : ''}` : ''}`;
}

/**
 * How far the job has got, from its execution's history; undefined when there is no execution
 * of that name (not started yet, or unknown). Without an upload time, time counts from the
 * execution's start.
 */
export async function progressOf({ sfn, stateMachineArn, jobId, uploadedAt }: Pick<WatchOptions, 'sfn' | 'stateMachineArn' | 'jobId' | 'uploadedAt'>): Promise<JobProgress | undefined> {
  const events = await executionHistory(sfn, executionArnFor(stateMachineArn, jobId));
  if (!events) return undefined;
  const now = Date.now();
  return summarizeProgress(events, { uploadedAt: uploadedAt ?? events[0]?.timestamp?.getTime() ?? now, now });
}
