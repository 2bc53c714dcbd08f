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
import { GetBucketVersioningCommand, ListObjectVersionsCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { s3EventFor, type UploadRef } from '../../shared/contracts/upload-event.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { keys } from '../../shared/keys.ts';
import { sdkErrorKind } from '../../shared/sdk-error-kind.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { executionArnFor } from '../../shared/workflow.ts';
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

/** Every upload in the bucket: each version where it keeps versions (their ids are in the events), else each object. */
async function* listUploads(s3: S3Client, bucket: string): AsyncGenerator<{ upload: UploadRef; lastModified?: Date }> {
  const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket })).catch(() => undefined);
  const etagOf = (etag: string | undefined) => etag?.replace(/"/g, '');
  if (versioning?.Status === 'Enabled') {
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, ...markers }));
      for (const version of page.Versions ?? []) {
        if (!version.Key) continue;
        // "null" is the version of an object written before versioning was turned on: its event had no version id.
        const versionId = version.VersionId && version.VersionId !== 'null' ? version.VersionId : undefined;
        yield { upload: { bucket, key: version.Key, size: version.Size ?? 0, etag: etagOf(version.ETag), ...(versionId ? { versionId } : {}) }, ...(version.LastModified ? { lastModified: version.LastModified } : {}) };
      }
      if (!page.IsTruncated) return;
      markers = { ...(page.NextKeyMarker ? { KeyMarker: page.NextKeyMarker } : {}), ...(page.NextVersionIdMarker ? { VersionIdMarker: page.NextVersionIdMarker } : {}) };
    }
  }
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) {
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      yield { upload: { bucket, key: object.Key, size: object.Size ?? 0, etag: etagOf(object.ETag) }, ...(object.LastModified ? { lastModified: object.LastModified } : {}) };
    }
  }
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
