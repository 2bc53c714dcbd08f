/** The SDK clients every function uses; only their endpoints differ between AWS and the local host. */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { ClientConfig } from './config.ts';

/** Explicit credentials and region, for callers outside a function (the CLI, the local host). */
export interface Connection {
  credentials?: { accessKeyId: string; secretAccessKey: string };
  region?: string;
}

export function createS3Client(config: ClientConfig, connection: Connection = {}): S3Client {
  return new S3Client({
    ...connection,
    ...(config.AWS_ENDPOINT_URL_S3 ? { endpoint: config.AWS_ENDPOINT_URL_S3 } : {}),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    // Checksums only where S3 requires them: S3-compatible local servers do not all speak the
    // SDK's default aws-chunked CRC32 trailers, and S3 itself verifies Content-MD5-less PUTs.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function createSfnClient(config: ClientConfig, connection: Connection = {}): SFNClient {
  return new SFNClient({ ...connection, ...(config.AWS_ENDPOINT_URL_SFN ? { endpoint: config.AWS_ENDPOINT_URL_SFN } : {}) });
}
