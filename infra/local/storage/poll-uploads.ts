/**
 * The trigger for a store that cannot notify (or will not let us configure it to): list the input
 * bucket every few seconds and announce each upload not seen before (a new version, or where
 * the bucket keeps none, a key seen with another ETag: an overwrite is a new upload), as an S3
 * upload event. What is there at the first listing is
 * taken as seen: the reconcile pass, which runs after this starts, covers it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { s3EventFor } from '../../../shared/contracts/upload-event.ts';
import { jobIdFor } from '../../../shared/job-id.ts';
import { listUploads } from '../list-uploads.ts';

export const DEFAULT_POLL_INTERVAL_MS = 2_000;

/** Listings that may fail in a row before the first one: a store that never lists fails the start, it does not hang it. */
export const BASELINE_ATTEMPTS = 3;

export type UploadPoller = {
  /** Resolves once the first listing (the baseline) is taken; rejects when BASELINE_ATTEMPTS in a row failed. */
  ready: Promise<void>;
  /** Stops polling; a listing in flight is abandoned. */
  stop(): Promise<void>;
};

export function pollUploads(options: {
  s3: S3Client;
  bucket: string;
  /** Gets an S3 event per new upload; must return at once. */
  onUpload: (event: unknown) => void;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}): UploadPoller {
  const { s3, bucket, onUpload } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const stopped = new AbortController();
  // By job id: the upload's identity (bucket, key, version or ETag), as its event would give it.
  const seen = new Set<string>();

  const scan = async (announce: boolean): Promise<void> => {
    const listed = new Set<string>();
    for await (const { upload, lastModified } of listUploads(s3, bucket, stopped.signal)) {
      const jobId = jobIdFor(upload);
      listed.add(jobId);
      if (seen.has(jobId)) continue;
      seen.add(jobId);
      if (announce && !stopped.signal.aborted) onUpload(s3EventFor(upload, lastModified));
    }
    // A key deleted and uploaded again with the same bytes is a new upload too.
    for (const jobId of seen) if (!listed.has(jobId)) seen.delete(jobId);
  };

  const loop = async (): Promise<void> => {
    let first = true;
    let baselineFailures = 0;
    while (!stopped.signal.aborted) {
      try {
        await scan(!first);
        first = false;
        baseline.resolve();
      } catch (error) {
        if (stopped.signal.aborted) break;
        if (first && ++baselineFailures >= BASELINE_ATTEMPTS) {
          baseline.reject(new Error(`polling s3://${bucket}: the bucket could not be listed ${BASELINE_ATTEMPTS} times in a row: ${error instanceof Error ? error.message : String(error)}`));
          return;
        }
        options.onError?.(error); // the store is down for a moment: the next tick tries again
      }
      await sleep(intervalMs, undefined, { signal: stopped.signal }).catch(() => {});
    }
    baseline.resolve();
  };

  const baseline = Promise.withResolvers<void>();
  const ready = baseline.promise;
  const running = loop();
  return {
    ready,
    async stop() {
      stopped.abort();
      await running;
    },
  };
}
