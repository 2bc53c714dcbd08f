/**
 * A job's id is derived from the upload's identity (bucket, key, version or ETag), so a
 * duplicate event for the same upload maps to the same job and the same execution name.
 * Its shape is safe as an S3 prefix and a Step Functions execution name ([A-Za-z0-9-_], ≤ 80).
 */
import { createHash } from 'node:crypto';
import type { UploadRef } from './contracts/upload-event.ts';

const SLUG_MAX = 40;

export function jobIdFor(upload: Pick<UploadRef, 'bucket' | 'key' | 'versionId' | 'etag'>): string {
  const identity = [upload.bucket, upload.key, upload.versionId ?? '', upload.etag ?? ''].join('\u0000');
  const digest = createHash('sha256').update(identity).digest('hex').slice(0, 20);
  const slug = slugOf(upload.key);
  return slug ? `${slug}-${digest}` : digest;
}

/** A readable hint of the file name; the digest alone carries the identity. */
function slugOf(key: string): string {
  const fileName = key.split('/').pop() ?? '';
  const stem = fileName.replace(/\.[^.]*$/, '');
  return stem
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/, '');
}
