/**
 * The start-up pass that makes the local trigger lossless whatever happened while the host was
 * down. Every upload in the input bucket without a manifest is looked at:
 * - no execution under its job id (never started, or abandoned by a host that stopped while it
 *   ran): handed to the starter again;
 * - an execution that ended without a manifest (failed past its retries, stopped, its storage
 *   gone): finalized, as the status-change event would have had it (its finalizer may have met
 *   the same dead storage);
 * - an execution still running, or one that succeeded: left alone.
 * Where the bucket keeps versions, every version is an upload of its own, as its event said.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { s3EventFor } from '../../shared/contracts/upload-event.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { keys } from '../../shared/keys.ts';
import { sdkErrorKind } from '../../shared/sdk-error-kind.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { executionArnFor } from '../../shared/workflow.ts';
import { listUploads } from './list-uploads.ts';
import type { JournalEntry } from './step-functions/server.ts';
import type { DeliverUploadEvent } from './upload-trigger.ts';

export interface ReconcileResult {
  /** Keys handed to the starter. */
  started: string[];
  /** Job ids whose ended execution was finalized. */
  finalized: string[];
}

export async function reconcileUploads(options: {
  s3: S3Client;
  sfn: SFNClient;
  stateMachineArn: string;
  inputBucket: string;
  renditionsBucket: string;
  deliver: DeliverUploadEvent;
  finalize: (execution: JournalEntry) => Promise<void>;
}): Promise<ReconcileResult> {
  const store = s3ObjectStore(options.s3);
  const result: ReconcileResult = { started: [], finalized: [] };
  for await (const { upload, lastModified } of listUploads(options.s3, options.inputBucket)) {
    const jobId = jobIdFor(upload);
    if (await store.head({ bucket: options.renditionsBucket, key: keys.manifest(jobId) })) continue;
    const execution = await describeExecution(options.sfn, executionArnFor(options.stateMachineArn, jobId));
    if (!execution) {
      await options.deliver(s3EventFor(upload, lastModified));
      result.started.push(upload.key);
    } else if (execution.status === 'FAILED' || execution.status === 'TIMED_OUT' || execution.status === 'ABORTED') {
      await options.finalize(journalEntryOf(execution, options.stateMachineArn, jobId));
      result.finalized.push(jobId);
    }
  }
  return result;
}

async function describeExecution(sfn: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (sdkErrorKind(error) === 'not-found') return undefined;
    throw error;
  }
}

function journalEntryOf(execution: DescribeExecutionCommandOutput, stateMachineArn: string, name: string): JournalEntry {
  return {
    executionArn: execution.executionArn ?? executionArnFor(stateMachineArn, name),
    stateMachineArn,
    name,
    status: execution.status as JournalEntry['status'],
    startDate: execution.startDate?.getTime() ?? Date.now(),
    stopDate: execution.stopDate?.getTime() ?? Date.now(),
    input: execution.input ?? '{}',
    ...(execution.output ? { output: execution.output } : {}),
    ...(execution.error ? { error: execution.error } : {}),
    ...(execution.cause ? { cause: execution.cause } : {}),
  };
}
