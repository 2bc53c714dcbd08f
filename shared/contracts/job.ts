/**
 * What travels between the steps of one job. Step Functions caps a state's payload at 256 KB,
 * so these carry object keys and small facts, never media bytes.
 */
import { z } from 'zod';
import { ErrorCode } from '../errors.ts';
import { UploadRef } from './upload-event.ts';

export const ImageFormat = z.enum(['avif', 'webp', 'jpeg']);
export type ImageFormat = z.infer<typeof ImageFormat>;

export const MediaType = z.enum(['image', 'video', 'audio']);
export type MediaType = z.infer<typeof MediaType>;

export const JobErrorShape = z.object({ code: ErrorCode, message: z.string() });

/** The upload plus what the splitter learned from its bytes. */
export const SourceFacts = UploadRef.extend({
  mediaType: MediaType.optional(),
  format: z.string().optional(),
  /** As displayed: after EXIF orientation or rotation metadata is applied. */
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
});
export type SourceFacts = z.infer<typeof SourceFacts>;

const ObjectPointer = z.object({ bucket: z.string(), key: z.string(), versionId: z.string().optional() });

/** One Map item for image-resize: one width, every output format (one decode per width). */
export const ImageTask = z.object({
  jobId: z.string(),
  source: ObjectPointer,
  width: z.number().int().positive(),
  formats: z.array(ImageFormat).min(1),
});
export type ImageTask = z.infer<typeof ImageTask>;

export const ImageRendition = z.object({
  kind: z.literal('image'),
  key: z.string(),
  format: ImageFormat,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bytes: z.number().int().nonnegative(),
});
export type ImageRendition = z.infer<typeof ImageRendition>;

export const ImageTaskResult = z.object({
  width: z.number().int().positive(),
  renditions: z.array(ImageRendition),
  durationMs: z.number().nonnegative(),
});
export type ImageTaskResult = z.infer<typeof ImageTaskResult>;

/** The execution input: the splitter's plan for one upload. */
export const JobPlan = z.object({
  jobId: z.string(),
  source: SourceFacts,
  receivedAt: z.iso.datetime(),
  splitMs: z.number().nonnegative(),
  outcome: z.enum(['accepted', 'rejected']),
  error: JobErrorShape.optional(),
  imageTasks: z.array(ImageTask),
});
export type JobPlan = z.infer<typeof JobPlan>;

/** What a Catch adds to the state: Step Functions' `{ Error, Cause }`. */
export const CaughtFailure = z.object({ Error: z.string().optional(), Cause: z.string().optional() });

/** The assembler's input: the plan, the Map's results, or the failure that ended the fan-out. */
export const AssembleInput = JobPlan.extend({
  imageResults: z.array(ImageTaskResult).optional(),
  failure: CaughtFailure.optional(),
});
export type AssembleInput = z.infer<typeof AssembleInput>;

export const JobStatus = z.enum(['succeeded', 'rejected', 'failed']);
export type JobStatus = z.infer<typeof JobStatus>;

export const StepTiming = z.object({ step: z.string(), label: z.string(), ms: z.number().nonnegative() });

export const Manifest = z.object({
  schemaVersion: z.literal(1),
  jobId: z.string(),
  status: JobStatus,
  source: SourceFacts,
  error: JobErrorShape.optional(),
  renditions: z.array(ImageRendition),
  timings: z.object({
    receivedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    totalMs: z.number().nonnegative(),
    splitMs: z.number().nonnegative(),
    assembleMs: z.number().nonnegative(),
    steps: z.array(StepTiming),
  }),
});
export type Manifest = z.infer<typeof Manifest>;

/** The assembler's result; the state machine fails the execution when the job failed. */
export const AssembleResult = z.object({ jobId: z.string(), status: JobStatus, manifestKey: z.string() });
export type AssembleResult = z.infer<typeof AssembleResult>;
