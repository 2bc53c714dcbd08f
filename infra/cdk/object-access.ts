/**
 * Which objects each function may touch, as data: the stack turns it into IAM statements and
 * the tests check every key that shared/keys.ts builds against it. Keys start with the job id,
 * known only at run time, so a pattern scopes by what follows it (any job's segments, say),
 * not by a fixed prefix.
 */
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { BucketRole } from './fanout-stack.ts';
import type { FunctionName } from './fanout-function.ts';

export interface ObjectAccess {
  /** GetObject (HeadObject too): key patterns. */
  read?: readonly string[];
  /** PutObject and AbortMultipartUpload (large files go up in parts). */
  write?: readonly string[];
  /** DeleteObject (and DeleteObjectVersion in a versioned bucket): the assembler clears a job's work objects and a failed job's partial renditions. */
  delete?: readonly string[];
  /** Listing limited to keys under this pattern (an `s3:prefix` condition): the bucket's other keys stay unlisted. */
  listPrefix?: string;
  /** ListBucketMultipartUploads: finds a multipart upload by its key, to complete or abort it without keeping its id. */
  multipart?: boolean;
}

export const OBJECT_ACCESS: Record<FunctionName, Partial<Record<BucketRole, ObjectAccess>>> = {
  // Reads the event only: no object at all.
  starter: {},
  splitter: {
    // Any upload, under any name; the bytes decide what it is.
    input: { read: ['*'] },
    work: { write: ['*/plan.json', '*/segments/*', '*/audio-sources/*', '*/subtitles/*', '*/stills/*'] },
  },
  encoder: {
    // One audio track per task, in and out.
    work: { read: ['*/plan.json', '*/segments/*', '*/audio-sources/*'], write: ['*/chunks/*', '*/audio/*'] },
  },
  'image-resize': {
    // An uploaded image, or a video's poster and thumbnail stills.
    input: { read: ['*'] },
    work: { read: ['*/stills/*'] },
    renditions: { write: ['*/image/*', '*/poster/*', '*/thumbnails/*'] },
  },
  assembler: {
    work: { read: ['*/plan.json', '*/chunks/*', '*/audio/*', '*/subtitles/*'], delete: ['*'] },
    renditions: { write: ['*/video/*', '*/audio/*', '*/subtitles/*', '*/hls/*', '*/storyboard/*', '*/manifest.json'], delete: ['*'] },
  },
  // An execution that ended without a manifest: is there one? Write it; clear what the job left.
  finalizer: {
    work: { delete: ['*'] },
    renditions: { read: ['*/manifest.json'], write: ['*/manifest.json'], delete: ['*'] },
  },
  // The job API presigns uploads (single and multipart) under `uploads/` only and reads whether
  // one has landed. DELETE /v1/jobs removes a job's renditions and every version of its source,
  // which may be any key: any S3 client can start a job, not only the API's uploads.
  api: {
    input: { read: ['uploads/*'], write: ['uploads/*'], delete: ['*'], multipart: true },
    renditions: { read: ['*/manifest.json'], delete: ['*'] },
  },
  // Job events from its queue, signed POSTs out: no object at all.
  'webhook-delivery': {},
};

/**
 * One function's statements on one bucket. Listing comes with any read or delete: without
 * s3:ListBucket, S3 answers a missing key with 403 instead of 404, and the functions rely on
 * "not found" (the duplicate check, SOURCE_NOT_FOUND, clearing a prefix).
 */
export function grantObjectAccess(fn: IFunction, bucket: IBucket, access: ObjectAccess, { versioned }: { versioned: boolean }): void {
  const objects = (patterns: readonly string[]) => patterns.map((pattern) => bucket.arnForObjects(pattern));
  const statements: PolicyStatement[] = [];
  if (access.read || access.delete) {
    const conditions = access.listPrefix ? { StringLike: { 's3:prefix': [access.listPrefix] } } : undefined;
    statements.push(statement(versioned ? ['s3:ListBucket', 's3:ListBucketVersions'] : ['s3:ListBucket'], [bucket.bucketArn], conditions));
  }
  // S3 takes no `s3:prefix` condition on this action (only on ListBucket and ListBucketVersions).
  if (access.multipart) statements.push(statement(['s3:ListBucketMultipartUploads'], [bucket.bucketArn]));
  if (access.read) statements.push(statement(versioned ? ['s3:GetObject', 's3:GetObjectVersion'] : ['s3:GetObject'], objects(access.read)));
  if (access.write) statements.push(statement(['s3:PutObject', 's3:AbortMultipartUpload'], objects(access.write)));
  if (access.delete) statements.push(statement(versioned ? ['s3:DeleteObject', 's3:DeleteObjectVersion'] : ['s3:DeleteObject'], objects(access.delete)));
  for (const policyStatement of statements) fn.addToRolePolicy(policyStatement);
}

function statement(actions: string[], resources: string[], conditions?: Record<string, Record<string, string[]>>): PolicyStatement {
  return new PolicyStatement({ effect: Effect.ALLOW, actions, resources, ...(conditions ? { conditions } : {}) });
}
