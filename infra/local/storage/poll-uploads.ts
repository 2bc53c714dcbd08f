/**
 * The trigger for a store that cannot notify (or will not let us configure it to): list the input
 * bucket every few seconds and announce each object not seen before, or seen with another ETag
 * (an overwrite is a new upload), as an S3 upload event. What is there at the first listing is
 * taken as seen: the reconcile pass, which runs after this starts, covers it.
 */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { s3EventFor, type UploadRef } from '../../../shared/contracts/upload-event.ts';

export const DEFAULT_POLL_INTERVAL_MS = 2_000;

export type UploadPoller = {
  /** Resolves once the first listing (the baseline) is taken. */
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
  const seen = new Map<string, string | undefined>();

  const scan = async (announce: boolean): Promise<void> => {
    const listed = new Set<string>();
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket }, { abortSignal: stopped.signal })) {
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        const etag = object.ETag?.replace(/"/g, '');
        listed.add(object.Key);
        if (seen.has(object.Key) && seen.get(object.Key) === etag) continue;
        seen.set(object.Key, etag);
        const upload: UploadRef = { bucket, key: object.Key, size: object.Size ?? 0, etag };
        if (announce && !stopped.signal.aborted) onUpload(s3EventFor(upload));
      }
    }
    // A key deleted and uploaded again with the same bytes is a new upload too.
    for (const key of seen.keys()) if (!listed.has(key)) seen.delete(key);
  };

  const loop = async (): Promise<void> => {
    let first = true;
    while (!stopped.signal.aborted) {
      try {
        await scan(!first);
        first = false;
        markReady();
      } catch (error) {
        if (stopped.signal.aborted) break;
        options.onError?.(error); // the store is down for a moment: the next tick tries again
      }
      await sleep(intervalMs, undefined, { signal: stopped.signal }).catch(() => {});
    }
    markReady();
  };

  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const running = loop();
  return {
    ready,
    async stop() {
      stopped.abort();
      await running;
    },
  };
}
