import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { FanoutError, InputRejectedError, InternalError, TransientError } from '../errors.ts';
import { sdkErrorKind } from '../sdk-error-kind.ts';
import type { ObjectRef, ObjectStore } from './object-store.ts';

/** 8 MiB × 4 in flight: 32 MiB of memory per upload; 10,000 parts reach 80 GiB. */
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;
const UPLOAD_PARTS_IN_FLIGHT = 4;

/** The exact upload a read is for: its version where the bucket keeps versions, else its ETag. */
const versionOf = (ref: ObjectRef) => ({ ...(ref.versionId ? { VersionId: ref.versionId } : {}), ...(ref.ifEtag ? { IfMatch: `"${ref.ifEtag}"` } : {}) });

export function s3ObjectStore(s3: S3Client): ObjectStore {
  return {
    async head(ref) {
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...versionOf(ref) }));
        checkEtag(ref, head.ETag);
        return { size: head.ContentLength ?? 0, etag: head.ETag?.replace(/"/g, ''), versionId: head.VersionId };
      } catch (error) {
        if (sdkErrorKind(error) === 'not-found') return undefined;
        throw storageError(error, ref);
      }
    },

    async readStart(ref, length) {
      if (length <= 0) return new Uint8Array();
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: `bytes=0-${length - 1}`, ...versionOf(ref) }));
        checkEtag(ref, object.ETag);
        return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
      } catch (error) {
        // S3 answers 416 for a range on an empty object: it has no first bytes.
        if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 416) return new Uint8Array();
        throw storageError(error, ref);
      }
    },

    async download(ref, filePath, signal) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...versionOf(ref) }), { abortSignal: signal });
        checkEtag(ref, object.ETag);
        await pipeline(object.Body as Readable, createWriteStream(filePath), { signal });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw storageError(error, ref);
      }
    },

    async uploadFile(ref, filePath, contentType) {
      const { size } = await stat(filePath);
      try {
        // Streamed, never read whole: an hour of 1080p is past Node's 2 GiB buffer limit and the
        // assembler's memory. lib-storage sends one PUT below a part's size, multipart above it,
        // and buffers one part at a time per request, so the SDK can retry each part.
        await new Upload({
          client: s3,
          params: { Bucket: ref.bucket, Key: ref.key, Body: createReadStream(filePath), ContentType: contentType },
          partSize: UPLOAD_PART_BYTES,
          queueSize: UPLOAD_PARTS_IN_FLIGHT,
        }).done();
      } catch (error) {
        throw storageError(error, ref);
      }
      return { bytes: size };
    },

    async putJson(ref, value, { ifAbsent = false } = {}) {
      try {
        await s3.send(
          new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: JSON.stringify(value, null, 2), ContentType: 'application/json', ...(ifAbsent ? { IfNoneMatch: '*' } : {}) }),
        );
        return 'written';
      } catch (error) {
        // 412: an object is there; 409: another conditional write to it is under way.
        const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
        if (ifAbsent && (status === 412 || status === 409)) return 'exists';
        throw storageError(error, ref);
      }
    },

    async getJson(ref) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...versionOf(ref) }));
        return JSON.parse((await object.Body?.transformToString()) ?? 'null');
      } catch (error) {
        if (sdkErrorKind(error) === 'not-found') return undefined;
        throw storageError(error, ref);
      }
    },

    async deletePrefix(bucket, prefix, keep = []) {
      let deleted = 0;
      let continuationToken: string | undefined;
      try {
        do {
          const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken }));
          const objects = (page.Contents ?? []).flatMap((object) => (object.Key && !keep.includes(object.Key) ? [{ Key: object.Key }] : []));
          if (objects.length > 0) {
            await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
            deleted += objects.length;
          }
          continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (continuationToken);
      } catch (error) {
        throw storageError(error, { bucket, key: prefix });
      }
      return deleted;
    },
  };
}

/** Stores that ignore If-Match (the embedded s3rver) still answer with the ETag: check it here too. */
function checkEtag(ref: ObjectRef, etag: string | undefined): void {
  if (ref.ifEtag && etag && etag.replace(/"/g, '') !== ref.ifEtag) {
    throw new InputRejectedError('SOURCE_NOT_FOUND', `s3://${ref.bucket}/${ref.key} was replaced by a newer upload before it could be read`);
  }
}

/**
 * Storage errors in the taxonomy. A missing object (or one replaced since its event: If-Match
 * failed) is final, and the upload's doing; an unreachable or overloaded store is worth a
 * retry; a refusal (403, no such bucket) is this deployment's fault, and a retry cannot help.
 */
export function storageError(error: unknown, ref: ObjectRef): Error {
  if (error instanceof FanoutError) return error;
  const where = `s3://${ref.bucket}/${ref.key}`;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  if (status === 412 || (error instanceof Error && error.name === 'PreconditionFailed')) {
    return new InputRejectedError('SOURCE_NOT_FOUND', `${where} was replaced by a newer upload before it could be read`, { cause: error });
  }
  switch (sdkErrorKind(error)) {
    case 'not-found':
      return new InputRejectedError('SOURCE_NOT_FOUND', `${where} does not exist (deleted after upload?)`, { cause: error });
    case 'transient':
      return new TransientError('STORAGE_UNAVAILABLE', `${where}: ${detail}`, { cause: error });
    case 'permanent':
      return new InternalError('STORAGE_UNAVAILABLE', `${where}: ${detail}`, { cause: error });
  }
}
