/**
 * What travels between the steps of one job. Step Functions caps a state's payload at 256 KB,
 * so these carry object keys and small facts, never media bytes; a video's full plan (its
 * chunk table, its ladder) sits in the work bucket and tasks carry an index into it.
 */
import { z } from 'zod';
import { ErrorCode } from '../errors.ts';
import { Rotation } from '../media/rotation.ts';
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
  durationSeconds: z.number().nonnegative().optional(),
  frameRate: z.number().positive().optional(),
  frameCount: z.number().int().nonnegative().optional(),
  videoCodec: z.string().optional(),
  audioCodec: z.string().optional(),
});
export type SourceFacts = z.infer<typeof SourceFacts>;

const ObjectPointer = z.object({ bucket: z.string(), key: z.string(), versionId: z.string().optional() });

/** What an image rendition is for: the uploaded image itself, or a video's poster or thumbnails. */
export const ImageRole = z.enum(['image', 'poster', 'thumbnail']);

/** One Map item for image-resize: one width of one picture, every output format (one decode per width). */
export const ImageTask = z.object({
  jobId: z.string(),
  source: ObjectPointer,
  role: ImageRole.default('image'),
  /** Set for thumbnails: which one (1-based). */
  ordinal: z.number().int().positive().optional(),
  width: z.number().int().positive(),
  formats: z.array(ImageFormat).min(1),
});
export type ImageTask = z.input<typeof ImageTask>;

export const ImageRendition = z.object({
  kind: z.literal('image'),
  role: ImageRole.default('image'),
  ordinal: z.number().int().positive().optional(),
  key: z.string(),
  format: ImageFormat,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bytes: z.number().int().nonnegative(),
});
export type ImageRendition = z.input<typeof ImageRendition>;

export const ImageTaskResult = z.object({
  width: z.number().int().positive(),
  renditions: z.array(ImageRendition),
  durationMs: z.number().nonnegative(),
});
export type ImageTaskResult = z.input<typeof ImageTaskResult>;

/** One rung of the ladder: H.264 with CRF capped by VBV (per-chunk ABR would undershoot). */
export const Rung = z.object({
  name: z.string().regex(/^[a-z0-9]+$/),
  width: z.number().int().positive().multipleOf(2),
  height: z.number().int().positive().multipleOf(2),
  crf: z.number().min(0).max(51),
  maxrateKbps: z.number().int().positive(),
  bufsizeKbps: z.number().int().positive(),
});
export type Rung = z.infer<typeof Rung>;

/** A chunk: the source frames with startSeconds ≤ pts < endSeconds, cut from the keyframe at cutFromSeconds. */
export const Chunk = z.object({
  index: z.number().int().nonnegative(),
  startSeconds: z.number(),
  /** The next chunk's first frame; undefined for the last chunk (to the end). */
  endSeconds: z.number().optional(),
  cutFromSeconds: z.number(),
  frames: z.number().int().positive(),
  /** On the source timeline: next start − this start (last: to the source's end). The concat needs it. */
  durationSeconds: z.number().positive(),
});
export type Chunk = z.infer<typeof Chunk>;

export const AudioPlan = z.object({
  codec: z.string(),
  bitrateKbps: z.number().int().positive(),
  channels: z.number().int().positive(),
  sampleRate: z.number().int().positive(),
});

/** The full plan of a video or audio job, in the work bucket at keys.plan(jobId). */
export const MediaPlan = z.object({
  jobId: z.string(),
  rotation: Rotation,
  durationSeconds: z.number().nonnegative(),
  frameRate: z.number().positive().optional(),
  frameCount: z.number().int().nonnegative().optional(),
  gopSeconds: z.number().positive(),
  segmentSeconds: z.number().positive(),
  preset: z.string().regex(/^[a-z]+$/),
  /** The source is interlaced: every frame is deinterlaced before scaling (and for the stills). */
  deinterlace: z.boolean().default(false),
  rungs: z.array(Rung),
  chunks: z.array(Chunk),
  audio: AudioPlan.optional(),
});
export type MediaPlan = z.infer<typeof MediaPlan>;

/** One Map item for the encoder: an index into the plan, so the Map's input stays small at any length. */
export const EncodeTask = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('chunk'), jobId: z.string(), index: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('audio'), jobId: z.string() }),
]);
export type EncodeTask = z.infer<typeof EncodeTask>;

export const EncodeResult = z.object({
  kind: z.enum(['chunk', 'audio']),
  index: z.number().int().nonnegative().optional(),
  durationMs: z.number().nonnegative(),
});
export type EncodeResult = z.infer<typeof EncodeResult>;

/** The execution input: the splitter's plan for one upload. */
export const JobPlan = z.object({
  jobId: z.string(),
  source: SourceFacts,
  receivedAt: z.iso.datetime(),
  splitMs: z.number().nonnegative(),
  /** accepted: fan out; rejected (bad input) or failed (the splitter could not plan it): straight to the assembler's manifest. */
  outcome: z.enum(['accepted', 'rejected', 'failed']),
  error: JobErrorShape.optional(),
  /** More chunks than an inline Map should carry go through a Distributed Map on AWS. */
  fanOut: z.enum(['inline', 'distributed']).default('inline'),
  chunkTasks: z.array(EncodeTask).default([]),
  /** Zero or one task: audio is encoded once for the whole file. */
  audioTasks: z.array(EncodeTask).default([]),
  imageTasks: z.array(ImageTask),
});
export type JobPlan = z.input<typeof JobPlan>;

/** What a Catch adds to the state: Step Functions' `{ Error, Cause }`. */
export const CaughtFailure = z.object({ Error: z.string().optional(), Cause: z.string().optional() });

/** The fan-out's three branches, named by the Parallel state's ResultSelector. */
export const FanOutResults = z.object({
  chunkResults: z.array(EncodeResult),
  audioResults: z.array(EncodeResult),
  imageResults: z.array(ImageTaskResult),
});

/** The assembler's input: the plan, the fan-out's results, or the failure that ended it. */
export const AssembleInput = JobPlan.extend({
  results: FanOutResults.optional(),
  failure: CaughtFailure.optional(),
});
export type AssembleInput = z.input<typeof AssembleInput>;

export const JobStatus = z.enum(['succeeded', 'rejected', 'failed']);
export type JobStatus = z.infer<typeof JobStatus>;

export const VideoRendition = z.object({
  kind: z.literal('video'),
  rung: z.string(),
  key: z.string(),
  codecs: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bitrateKbps: z.number().nonnegative(),
  durationSeconds: z.number().nonnegative(),
  frames: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
export type VideoRendition = z.infer<typeof VideoRendition>;

export const AudioRendition = z.object({
  kind: z.literal('audio'),
  key: z.string(),
  codecs: z.string(),
  bitrateKbps: z.number().nonnegative(),
  durationSeconds: z.number().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

export const HlsRendition = z.object({
  kind: z.literal('hls'),
  key: z.string(),
  variants: z.number().int().positive(),
  segmentSeconds: z.number().positive(),
});

export const Rendition = z.discriminatedUnion('kind', [ImageRendition, VideoRendition, AudioRendition, HlsRendition]);
export type Rendition = z.input<typeof Rendition>;

export const StepTiming = z.object({ step: z.string(), label: z.string(), ms: z.number().nonnegative() });

export const Manifest = z.object({
  schemaVersion: z.literal(1),
  jobId: z.string(),
  status: JobStatus,
  source: SourceFacts,
  error: JobErrorShape.optional(),
  renditions: z.array(Rendition),
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
