/**
 * The start-up pass that makes the local trigger lossless whatever happened while the host was
 * down: every object in the input bucket that has no manifest yet is delivered to the splitter
 * again. The splitter's own duplicate check makes this safe to repeat.
 */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { s3EventFor, type UploadRef } from '../../shared/contracts/upload-event.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { keys } from '../../shared/keys.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import type { DeliverUploadEvent } from './upload-trigger.ts';

export async function reconcileUploads({ s3, inputBucket, renditionsBucket, deliver }: { s3: S3Client; inputBucket: string; renditionsBucket: string; deliver: DeliverUploadEvent }): Promise<string[]> {
  const store = s3ObjectStore(s3);
  const pending: UploadRef[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: inputBucket })) {
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      const upload: UploadRef = { bucket: inputBucket, key: object.Key, size: object.Size ?? 0, etag: object.ETag?.replace(/"/g, '') };
      const manifest = await store.head({ bucket: renditionsBucket, key: keys.manifest(jobIdFor(upload)) });
      if (!manifest) pending.push(upload);
    }
  }
  for (const upload of pending) await deliver(s3EventFor(upload));
  return pending.map((upload) => upload.key);
}

