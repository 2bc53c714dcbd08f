import { PutBucketNotificationConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Sends every object-created event of `bucket` to each of `queueArns` (on MinIO the webhook
 * targets' ARNs). Replaces the bucket's whole notification configuration; MinIO
 * rejects an ARN that no configured target has.
 */
export async function enableUploadNotifications(
  s3: S3Client,
  bucket: string,
  queueArns: readonly string[],
): Promise<void> {
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: queueArns.map((queueArn, index) => ({
          Id: `fanout-uploads-${index + 1}`,
          QueueArn: queueArn,
          Events: ['s3:ObjectCreated:*'],
        })),
      },
    }),
  );
}
