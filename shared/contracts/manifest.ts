/**
 * The public record of a job: `<jobId>/manifest.json` in the renditions bucket. What came in,
 * what came out, how it ended and why, and where the time went. Readers outside the pipeline
 * (the CLI, a team's own backend) depend on this shape: it changes only with `schemaVersion`.
 */
import { z } from 'zod';
import { ErrorCode } from '../errors.ts';
import { UploadRef } from './upload-event.ts';
import { LadderReport, RungQuality } from './quality.ts';

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

/** What an image rendition is for: the uploaded image itself, or a video's poster or thumbnails. */
export const ImageRole = z.enum(['image', 'poster', 'thumbnail']);

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
  /** Measured as viewed (shared/contracts/quality.ts); absent in manifests written before quality was measured. */
  quality: RungQuality.optional(),
  /** The CRF each chunk was encoded at, by chunk index: the rung's fixed CRF, or what the target search chose. */
  crfs: z.array(z.number()).optional(),
});
export type VideoRendition = z.infer<typeof VideoRendition>;

export const AudioRendition = z.object({
  kind: z.literal('audio'),
  key: z.string(),
  codecs: z.string(),
  bitrateKbps: z.number().nonnegative(),
  durationSeconds: z.number().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** A video's audio tracks, each an HLS audio rendition (`key` is its media playlist): BCP 47 language, display name, and the one players pick first and the MP4s carry. */
  language: z.string().optional(),
  name: z.string().optional(),
  default: z.boolean().optional(),
});

/** A text subtitle track of the source as WebVTT, on the MP4s' timeline; the HLS package carries it too. */
export const SubtitlesRendition = z.object({
  kind: z.literal('subtitles'),
  key: z.string(),
  format: z.literal('webvtt'),
  language: z.string(),
  name: z.string(),
  bytes: z.number().int().nonnegative(),
});

export const HlsRendition = z.object({
  kind: z.literal('hls'),
  key: z.string(),
  variants: z.number().int().positive(),
  segmentSeconds: z.number().positive(),
});

/**
 * A video's seek-bar previews: `key` is a WebVTT file whose cues map time ranges to regions of
 * the sprites (`00.jpg#xywh=160,0,160,90`, relative to the WebVTT file), the thumbnail format
 * of video.js, JW Player and Mux. Every sprite is columns × rows tiles of tileWidth × tileHeight.
 */
export const StoryboardRendition = z.object({
  kind: z.literal('storyboard'),
  key: z.string(),
  sprites: z.array(z.string()).min(1),
  intervalSeconds: z.number().positive(),
  tileWidth: z.number().int().positive(),
  tileHeight: z.number().int().positive(),
  columns: z.number().int().positive(),
  rows: z.number().int().positive(),
  /** The WebVTT file and every sprite. */
  bytes: z.number().int().nonnegative(),
});
export type StoryboardRendition = z.infer<typeof StoryboardRendition>;

export const Rendition = z.discriminatedUnion('kind', [ImageRendition, VideoRendition, AudioRendition, HlsRendition, SubtitlesRendition, StoryboardRendition]);
export type Rendition = z.input<typeof Rendition>;

export const JobStatus = z.enum(['succeeded', 'rejected', 'failed']);
export type JobStatus = z.infer<typeof JobStatus>;

/** One task's work: the wall time of the try that succeeded, and how many tries it took (retries leave their trace). */
export const StepTiming = z.object({ step: z.string(), label: z.string(), ms: z.number().nonnegative(), attempts: z.number().int().positive() });

export const JobTimings = z.object({
  /** When the upload was stored (the event's time); the receipt time where the event had none. */
  uploadedAt: z.iso.datetime().optional(),
  /** When the pipeline took the upload in (the starter). */
  receivedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  /** Upload to finish: what the person who uploaded waited. */
  totalMs: z.number().nonnegative(),
  /** Upload to the split's start: waiting for the trigger and a free worker, no work done. */
  queuedMs: z.number().nonnegative().default(0),
  splitMs: z.number().nonnegative(),
  assembleMs: z.number().nonnegative(),
  steps: z.array(StepTiming),
});

/**
 * What the job cost, or would cost, on AWS at list prices: Lambda GB-seconds and requests from
 * the measured durations and the functions' memory sizes, plus Step Functions state
 * transitions. `measured` on AWS; `modelled` on the local host (its durations, AWS's prices).
 */
export const JobCost = z.object({
  currency: z.literal('USD'),
  totalUsd: z.number().nonnegative(),
  basis: z.enum(['measured', 'modelled']),
  lambda: z.object({ invocations: z.number().int().nonnegative(), gbSeconds: z.number().nonnegative(), usd: z.number().nonnegative() }),
  stepFunctions: z.object({ transitions: z.number().int().nonnegative(), usd: z.number().nonnegative() }),
  /** The list prices used, and where and when they were read. */
  prices: z.object({ region: z.string(), asOf: z.string(), lambdaGbSecondUsd: z.number(), lambdaRequestUsd: z.number(), stateTransitionUsd: z.number() }),
});
export type JobCost = z.infer<typeof JobCost>;

export const Manifest = z.object({
  schemaVersion: z.literal(1),
  jobId: z.string(),
  status: JobStatus,
  source: SourceFacts,
  error: JobErrorShape.optional(),
  renditions: z.array(Rendition),
  /** A video's ladder: fixed, or per title to a quality target, with the rungs it dropped and why. */
  ladder: LadderReport.optional(),
  timings: JobTimings,
  cost: JobCost.optional(),
});
export type Manifest = z.infer<typeof Manifest>;
