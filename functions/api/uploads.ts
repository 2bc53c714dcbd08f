/**
 * Direct uploads: presigned requests straight into the input bucket, so the bytes never pass
 * through the API. Stateless: an upload is its key prefix `uploads/<uploadId>/`, and a
 * multipart upload's S3 id is found again by listing the uploads under that prefix.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { randomUUID } from 'node:crypto';
import type { CompleteUploadRequest, CreateUploadRequest, CreateUploadResponse } from '../../shared/contracts/api.ts';
import type { ApiConfig } from './api-config.ts';
import { ApiProblem } from './api-problem.ts';
import { sanitizeFilename } from './sanitize-filename.ts';
import { sdkErrorKind } from '../../shared/sdk-error-kind.ts';

export const uploadPrefix = (uploadId: string) => `uploads/${uploadId}/`;
/** A browser that declares no type uploads bytes, and must say so: the type is part of the signature. */
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
/**
 * Content-Type and Content-Length stay headers the signature covers (the presigner leaves
 * Content-Type unsigned by default), and so does `If-None-Match: *`: the URL makes one object,
 * never a second version of a key that exists (a reused URL would start a second job on the
 * same key, and deleting either job would take the other's source).
 */
const SIGNED_HEADERS = new Set(['content-type', 'content-length', 'if-none-match']);
/** A part's type is the upload's (set when it was created): only its size is bound. */
const SIGNED_PART_HEADERS = new Set(['content-length']);

export interface UploadDeps {
  config: ApiConfig;
  s3: S3Client;
  now: () => Date;
}

/** The parts of a multipart upload: `partBytes` each, the last one shorter. */
export function planParts(bytes: number, partBytes: number): Array<{ partNumber: number; bytes: number }> {
  const count = Math.ceil(bytes / partBytes);
  return Array.from({ length: count }, (_, index) => ({ partNumber: index + 1, bytes: Math.min(partBytes, bytes - index * partBytes) }));
}

export async function createUpload(request: CreateUploadRequest, { config, s3, now }: UploadDeps): Promise<CreateUploadResponse> {
  const filename = sanitizeFilename(request.filename);
  if (!filename.ok) throw new ApiProblem(400, 'INVALID_FILENAME', `filename: ${filename.reason}`);
  if (request.bytes > config.MAX_INPUT_BYTES) throw new ApiProblem(413, 'TOO_LARGE', `bytes: ${request.bytes} is over the limit of ${config.MAX_INPUT_BYTES}`);
  const uploadId = randomUUID();
  const key = `${uploadPrefix(uploadId)}${filename.name}`;
  const contentType = request.contentType ?? DEFAULT_CONTENT_TYPE;
  const expiresIn = config.UPLOAD_URL_SECONDS;
  const expiresAt = new Date(now().getTime() + expiresIn * 1000).toISOString();
  const Bucket = config.INPUT_BUCKET;

  if (request.bytes <= config.MULTIPART_THRESHOLD_BYTES) {
    const command = new PutObjectCommand({ Bucket, Key: key, ContentLength: request.bytes, ContentType: contentType, IfNoneMatch: '*' });
    const url = await getSignedUrl(s3, command, { expiresIn, signableHeaders: SIGNED_HEADERS });
    return { uploadId, key, expiresAt, method: 'PUT', url, headers: { 'Content-Type': contentType, 'Content-Length': String(request.bytes), 'If-None-Match': '*' } };
  }

  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType }));
  const UploadId = created.UploadId!;
  const parts = await Promise.all(
    planParts(request.bytes, config.MULTIPART_PART_BYTES).map(async (part) => ({
      ...part,
      url: await getSignedUrl(s3, new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: part.partNumber, ContentLength: part.bytes }), {
        expiresIn,
        signableHeaders: SIGNED_PART_HEADERS,
      }),
    })),
  );
  // The name rides along: MinIO lists multipart uploads by exact key only, not by prefix.
  const self = `/v1/uploads/${uploadId}`;
  const name = `?name=${encodeURIComponent(filename.name)}`;
  return {
    uploadId,
    key,
    expiresAt,
    method: 'MULTIPART',
    partBytes: config.MULTIPART_PART_BYTES,
    parts,
    headers: {},
    complete: { method: 'POST', url: `${self}/complete${name}&parts=${parts.length}` },
    abort: { method: 'DELETE', url: `${self}${name}` },
  };
}

/** The upload's key when the client names its file (as the complete and abort URLs do), else its prefix. */
function keyOrPrefix(uploadId: string, name: string | undefined): string {
  if (name === undefined) return uploadPrefix(uploadId);
  const sanitized = sanitizeFilename(name);
  if (!sanitized.ok || sanitized.name !== name) throw new ApiProblem(400, 'INVALID_FILENAME', 'name: not the name this upload was given');
  return `${uploadPrefix(uploadId)}${name}`;
}

/** The multipart uploads in progress under the upload's key (or prefix, where the store lists by prefix: S3). */
async function pendingMultipart(uploadId: string, name: string | undefined, { config, s3 }: UploadDeps): Promise<Array<{ key: string; s3UploadId: string }>> {
  const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: config.INPUT_BUCKET, Prefix: keyOrPrefix(uploadId, name) }));
  return (page.Uploads ?? []).flatMap((upload) => (upload.Key && upload.UploadId ? [{ key: upload.Key, s3UploadId: upload.UploadId }] : []));
}

/**
 * Completes the upload with every part it was planned with: S3 completes any subset of the
 * parts, which would start a job on a shorter file than the one declared.
 */
export async function completeUpload(uploadId: string, planned: { name?: string; parts: number }, request: CompleteUploadRequest, deps: UploadDeps): Promise<string> {
  const [pending] = await pendingMultipart(uploadId, planned.name, deps);
  if (!pending) throw new ApiProblem(404, 'UPLOAD_NOT_FOUND', `no multipart upload ${uploadId} is in progress`);
  const numbers = new Set(request.parts.map((part) => part.partNumber));
  if (numbers.size !== planned.parts || request.parts.length !== planned.parts || [...numbers].some((number) => number > planned.parts)) {
    throw new ApiProblem(400, 'UPLOAD_INCOMPLETE', `upload ${uploadId} has ${planned.parts} parts: send the ETag of each, numbered 1 to ${planned.parts}`);
  }
  const parts = [...request.parts].sort((a, b) => a.partNumber - b.partNumber).map((part) => ({ PartNumber: part.partNumber, ETag: part.etag }));
  try {
    await deps.s3.send(new CompleteMultipartUploadCommand({ Bucket: deps.config.INPUT_BUCKET, Key: pending.key, UploadId: pending.s3UploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    // A part missing, out of order, too small or with another ETag: the client's to fix.
    if (error instanceof Error && /InvalidPart|EntityTooSmall|InvalidRequest|NoSuchUpload/.test(error.name)) {
      throw new ApiProblem(400, 'UPLOAD_INCOMPLETE', `the parts do not complete upload ${uploadId}: ${error.name}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return pending.key;
}

export async function abortUpload(uploadId: string, name: string | undefined, deps: UploadDeps): Promise<void> {
  const pending = await pendingMultipart(uploadId, name, deps);
  if (pending.length === 0) throw new ApiProblem(404, 'UPLOAD_NOT_FOUND', `no multipart upload ${uploadId} is in progress`);
  for (const upload of pending) {
    await deps.s3.send(new AbortMultipartUploadCommand({ Bucket: deps.config.INPUT_BUCKET, Key: upload.key, UploadId: upload.s3UploadId }));
  }
}

/** The landed object under the upload's prefix, with what its job id is made of; undefined while none has landed. */
export async function landedUpload(uploadId: string, { config, s3 }: UploadDeps): Promise<{ key: string; versionId?: string; etag?: string } | undefined> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: config.INPUT_BUCKET, Prefix: uploadPrefix(uploadId), MaxKeys: 1 }));
  const key = page.Contents?.[0]?.Key;
  if (!key) return undefined;
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: config.INPUT_BUCKET, Key: key }));
    const versionId = head.VersionId && head.VersionId !== 'null' ? head.VersionId : undefined;
    return { key, ...(versionId && { versionId }), ...(head.ETag && { etag: head.ETag.replace(/"/g, '') }) };
  } catch (error) {
    if (sdkErrorKind(error) === 'not-found') return undefined; // deleted between the list and the head
    throw error;
  }
}
