/**
 * The trigger for a MinIO we did not start (MINIO_ENDPOINT): MinIO's ListenBucketNotification
 * stream, through the official client. Events raised while nobody listens are not queued; the
 * reconcile pass at start covers them.
 */
import { Client } from 'minio';

export interface UploadListener {
  stop(): Promise<void>;
}

export async function listenForUploads(options: {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  onEvent: (event: unknown) => void;
  onError: (error: unknown) => void;
}): Promise<UploadListener> {
  const url = new URL(options.endpoint);
  const client = new Client({
    endPoint: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    useSSL: url.protocol === 'https:',
    accessKey: options.accessKeyId,
    secretKey: options.secretAccessKey,
  });
  const poller = client.listenBucketNotification(options.bucket, '', '', ['s3:ObjectCreated:*']);
  // The client hands over one record at a time; the splitter takes the S3 event envelope.
  poller.on('notification', (record) => options.onEvent({ Records: [record] }));
  poller.on('error', options.onError);
  return {
    async stop() {
      poller.stop();
    },
  };
}
