/**
 * The upload trigger: an S3 event notification, as S3 sends it to a Lambda and as MinIO posts
 * it to a webhook. Object keys arrive URL-encoded with '+' for spaces; they are decoded here,
 * once, and nowhere else.
 */
import { z } from 'zod';
import { parseEvent } from './parse-event.ts';

/** The upload's identity; the job id is derived from it. */
export const UploadRef = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  /** Set when the input bucket is versioned (it is on AWS). */
  versionId: z.string().min(1).optional(),
  etag: z.string().min(1).optional(),
  size: z.number().int().nonnegative(),
});
export type UploadRef = z.infer<typeof UploadRef>;

export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

const S3EventRecord = z.object({
  eventName: z.string(),
  eventTime: z.string().optional(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1).transform(decodeS3Key),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

export const S3UploadEvent = z.object({ Records: z.array(S3EventRecord) });
export type S3UploadEvent = z.input<typeof S3UploadEvent>;

/** The uploads an event announces; events other than ObjectCreated are not uploads. */
export function uploadsIn(event: unknown): UploadRef[] {
  return announcedUploads(event).map(({ upload }) => upload);
}

/** The uploads an event announces, each with the event's time (when the object was stored), where it says. */
export function announcedUploads(event: unknown): Array<{ upload: UploadRef; eventTime?: string }> {
  const parsed = parseEvent(S3UploadEvent, event, 'an S3 upload event');
  return parsed.Records.filter((record) => record.eventName.startsWith('ObjectCreated') || record.eventName.startsWith('s3:ObjectCreated')).map((record) => ({
    upload: {
      bucket: record.s3.bucket.name,
      key: record.s3.object.key,
      versionId: record.s3.object.versionId || undefined,
      etag: stripQuotes(record.s3.object.eTag),
      size: record.s3.object.size ?? 0,
    },
    ...(validTime(record.eventTime) ? { eventTime: new Date(record.eventTime!).toISOString() } : {}),
  }));
}

function validTime(text: string | undefined): boolean {
  return text !== undefined && Number.isFinite(Date.parse(text));
}

function stripQuotes(etag: string | undefined): string | undefined {
  const bare = etag?.replace(/^"|"$/g, '');
  return bare ? bare : undefined;
}

/** Builds the event S3 would send for an object: the reconcile pass and the CLI replay uploads with it. */
export function s3EventFor(upload: UploadRef, eventTime?: Date): S3UploadEvent {
  return {
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        ...(eventTime ? { eventTime: eventTime.toISOString() } : {}),
        s3: {
          bucket: { name: upload.bucket },
          object: {
            key: encodeURIComponent(upload.key).replace(/%20/g, '+').replace(/%2F/g, '/'),
            size: upload.size,
            ...(upload.etag ? { eTag: upload.etag } : {}),
            ...(upload.versionId ? { versionId: upload.versionId } : {}),
          },
        },
      },
    ],
  };
}
