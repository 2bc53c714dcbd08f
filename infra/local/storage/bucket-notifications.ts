import { PutBucketNotificationConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Sends every object-created event of `bucket` to `queueArn` (on MinIO the webhook target's ARN,
 * `MINIO_WEBHOOK_QUEUE_ARN`). Replaces the bucket's whole notification configuration; MinIO
 * rejects an ARN that no configured target has.
 */
export async function enableUploadNotifications(
  s3: S3Client,
  bucket: string,
  queueArn: string,
): Promise<void> {
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          { Id: 'fanout-uploads', QueueArn: queueArn, Events: ['s3:ObjectCreated:*'] },
        ],
      },
    }),
  );
}
