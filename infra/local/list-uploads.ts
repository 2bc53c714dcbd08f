/**
 * Every upload in the input bucket, as its event named it (or would have): each version where
 * the bucket keeps versions, since every version is an upload of its own with its own job id,
 * else each object. The reconcile pass and the polling trigger both list through here, so the
 * job ids they derive match the ones the store's events give.
 */
import { GetBucketVersioningCommand, ListObjectVersionsCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { storageError } from '../../shared/storage/s3-object-store.ts';

export interface ListedUpload {
  upload: UploadRef;
  lastModified?: Date;
}

/**
 * A store that does not do versioning says so (NotImplemented): list its objects. Any other
 * failure must not pass for "not versioned": job ids without the version match no manifest,
 * and every finished upload would run again.
 */
function withoutVersioning(bucket: string): (error: unknown) => undefined {
  return (error) => {
    if (error instanceof Error && (error.name === 'NotImplemented' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 501)) return undefined;
    throw storageError(error, { bucket, key: '' });
  };
}

export async function* listUploads(s3: S3Client, bucket: string, signal?: AbortSignal): AsyncGenerator<ListedUpload> {
  const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }), { abortSignal: signal }).catch(withoutVersioning(bucket));
  const etagOf = (etag: string | undefined) => etag?.replace(/"/g, '');
  if (versioning?.Status === 'Enabled') {
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, ...markers }), { abortSignal: signal });
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
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket }, { abortSignal: signal })) {
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      yield { upload: { bucket, key: object.Key, size: object.Size ?? 0, etag: etagOf(object.ETag) }, ...(object.LastModified ? { lastModified: object.LastModified } : {}) };
    }
  }
}
