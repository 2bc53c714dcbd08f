/** An S3 client for a local storage host, built by the project's own factory (path style, checksums only when required). */
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../shared/aws-clients.ts';
import type { StorageHost } from '../../infra/local/storage/storage-host.ts';

export function s3ClientFor(host: Pick<StorageHost, 'endpoint' | 'credentials' | 'region'>): S3Client {
  return createS3Client({ AWS_ENDPOINT_URL_S3: host.endpoint, S3_FORCE_PATH_STYLE: true }, { credentials: host.credentials, region: host.region });
}
