/** Uploads a file to the input bucket, showing progress; returns the upload's identity and job id. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Client } from '@aws-sdk/client-s3';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { checkInputFile } from './check-input-file.ts';
import { formatBytes } from '../../shared/format-bytes.ts';
import { startProgress } from './progress.ts';

export async function uploadFile({ s3, bucket, filePath, key = basename(filePath), quiet = false }: { s3: S3Client; bucket: string; filePath: string; key?: string; quiet?: boolean }): Promise<{ upload: UploadRef; jobId: string; uploadedAt: number }> {
  await checkInputFile(filePath);
  const { size } = await stat(filePath);
  const progress = quiet ? undefined : startProgress(`upload ${key}`, 'bytes');
  const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: createReadStream(filePath) } });
  upload.on('httpUploadProgress', ({ loaded = 0 }) => progress?.update(loaded, size, `${formatBytes(loaded)} of ${formatBytes(size)}`));
  try {
    const result = await upload.done();
    progress?.update(size, size, `${formatBytes(size)} uploaded`);
    const uploaded: UploadRef = { bucket, key, size, etag: result.ETag?.replace(/"/g, ''), versionId: result.VersionId };
    return { upload: uploaded, jobId: jobIdFor(uploaded), uploadedAt: Date.now() };
  } finally {
    progress?.stop();
  }
}
