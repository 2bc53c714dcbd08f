/**
 * What travels between the pipeline's steps, inside one execution: the splitter's plan, the
 * Map items, the tasks' results and the assembler's input. Step Functions caps a state's
 * payload at 256 KB, so these carry object keys and small facts, never media bytes; a video's
 * full plan (its chunk table, its ladder) sits in the work bucket as `MediaPlan`, and tasks
 * carry an index into it. Nobody outside the pipeline reads these: the public record is the
 * manifest (manifest.ts).
 */
import { z } from 'zod';
import { ExecutionInput } from './execution-input.ts';
import { ImageFormat, ImageRendition, ImageRole, JobErrorShape, JobStatus, SourceFacts } from './manifest.ts';
import { Rotation } from '../media/rotation.ts';
import { QualityMeasurement, QualityTarget } from './quality.ts';

/**
 * The memory a task's function ran with, from its Lambda context (memoryLimitInMB): what its
 * duration is billed at (shared/job-cost.ts). Absent where a handler ran without a context.
 */
const MemoryMiB = z.number().int().positive().optional();

const ObjectPointer = z.object({ bucket: z.string(), key: z.string(), versionId: z.string().optional(), ifEtag: z.string().optional() });

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

export const ImageTaskResult = z.object({
  width: z.number().int().positive(),
  renditions: z.array(ImageRendition),
  durationMs: z.number().nonnegative(),
  /** This task's tries, the one that succeeded included. */
  attempts: z.number().int().positive(),
  memoryMiB: MemoryMiB,
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

/**
 * A file name part made by the track planner from a language tag (`en`, `en-2`): never the
 * stream's raw tag, which is untrusted text, so keys and paths built from it stay plain.
 */
const TrackLabel = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/).max(40);
/** A display name for a player's menu: the stream's title, or its language's name, sanitised (no quotes, no control characters). */
const TrackName = z.string().min(1).max(80).regex(/^[^"\p{Cc}]+$/u);

/** One audio track of the source, encoded once, an HLS audio rendition; the default one goes into the MP4s too. */
export const AudioTrack = z.object({
  label: TrackLabel,
  /** BCP 47 (`en`, `fr`, `und` when the stream states none), as HLS's LANGUAGE wants it. */
  language: z.string(),
  name: TrackName,
  default: z.boolean(),
});
export type AudioTrack = z.infer<typeof AudioTrack>;

/** One text subtitle track of the source, as WebVTT on the MP4s' timeline. */
export const SubtitleTrack = z.object({ label: TrackLabel, language: z.string(), name: TrackName });
export type SubtitleTrack = z.infer<typeof SubtitleTrack>;

/** One storyboard tile: the `frame`-th frame (0-based, in display order) of chunk `chunk`. */
export const StoryboardTile = z.object({ chunk: z.number().int().nonnegative(), frame: z.number().int().nonnegative() });
export type StoryboardTile = z.infer<typeof StoryboardTile>;

/**
 * A video's storyboard (shared/storyboard/plan-storyboard.ts): the layout the cues follow, and
 * the frame of each tile in tile order. At most the profile's maxTiles tiles.
 */
export const StoryboardPlan = z.object({
  intervalSeconds: z.number().positive(),
  tileWidth: z.number().int().positive().multipleOf(2),
  tileHeight: z.number().int().positive().multipleOf(2),
  columns: z.number().int().positive(),
  rows: z.number().int().positive(),
  tileCount: z.number().int().positive(),
  spriteCount: z.number().int().positive(),
  durationSeconds: z.number().nonnegative(),
  jpegQuality: z.number().int().min(1).max(100),
  tiles: z.array(StoryboardTile),
}).refine((plan) => plan.tiles.length === plan.tileCount, { message: 'one frame per tile' });
export type StoryboardPlan = z.infer<typeof StoryboardPlan>;

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
  /** With `audio`: every track it is applied to, in the order of the audio tasks (`track` indexes it). */
  audioTracks: z.array(AudioTrack).default([]),
  subtitles: z.array(SubtitleTrack).default([]),
  /** A video's seek-bar previews; none for audio alone (or a plan written before storyboards). */
  storyboard: StoryboardPlan.optional(),
  /** Shot changes: the source time (seconds) of each shot's first frame after the first shot. The encoder forces an IDR at each. */
  sceneCuts: z.array(z.number()).default([]),
  /** How every rung of a video is measured; absent for audio alone. */
  quality: QualityMeasurement.optional(),
  /** Set: each chunk of each rung is encoded at the CRF that reaches it (probe tasks search it first). */
  qualityTarget: QualityTarget.optional(),
});
export type MediaPlan = z.infer<typeof MediaPlan>;

/** One Map item for the encoder: an index into the plan, so the Map's input stays small at any length. */
export const EncodeTask = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('chunk'), jobId: z.string(), index: z.number().int().nonnegative() }),
  /** `track` indexes the plan's audioTracks. */
  z.object({ kind: z.literal('audio'), jobId: z.string(), track: z.number().int().nonnegative().default(0) }),
  /** Target mode: search chunk `index`'s CRF per rung with probe encodes, before any chunk is encoded. */
  z.object({ kind: z.literal('probe'), jobId: z.string(), index: z.number().int().nonnegative() }),
]);
export type EncodeTask = z.input<typeof EncodeTask>;

export const EncodeResult = z.object({
  kind: z.enum(['chunk', 'audio', 'probe']),
  index: z.number().int().nonnegative().optional(),
  /** An audio task's track. */
  track: z.number().int().nonnegative().optional(),
  durationMs: z.number().nonnegative(),
  /** This task's tries, the one that succeeded included. */
  attempts: z.number().int().positive(),
  memoryMiB: MemoryMiB,
});

/**
 * A fan-out task's payload: the Map item, and how many times Step Functions has retried this
 * state for it so far (`$$.State.RetryCount`), so the result can say how many tries it took.
 */
export function TaskAttempt<Task extends z.ZodType>(task: Task) {
  return z.object({ task, retryCount: z.number().int().nonnegative() });
}
export type EncodeResult = z.input<typeof EncodeResult>;

/**
 * The splitter's result: what the upload is and what to fan out. `accepted` fans out;
 * `rejected` (bad input) and `failed` (the splitter could not plan it) go straight to the
 * assembler's manifest, with what was learned of the source so far.
 */
export const SplitResult = z.object({
  jobId: z.string(),
  source: SourceFacts,
  /** When the split began: the end of the upload's wait in the queue. */
  startedAt: z.iso.datetime(),
  splitMs: z.number().nonnegative(),
  memoryMiB: MemoryMiB,
  outcome: z.enum(['accepted', 'rejected', 'failed']),
  error: JobErrorShape.optional(),
  /** More chunks than an inline Map should carry go through a Distributed Map on AWS. */
  fanOut: z.enum(['inline', 'distributed']).default('inline'),
  chunkTasks: z.array(EncodeTask).default([]),
  /** One task per audio track: each is encoded once for the whole file. */
  audioTasks: z.array(EncodeTask).default([]),
  /** Target mode: one CRF search per chunk, all done before the chunks are encoded; empty otherwise. */
  probeTasks: z.array(EncodeTask).default([]),
  imageTasks: z.array(ImageTask),
});
export type SplitResult = z.input<typeof SplitResult>;

/** What a Catch adds to the state: Step Functions' `{ Error, Cause }`. */
export const CaughtFailure = z.object({ Error: z.string().optional(), Cause: z.string().optional() });

/** The fan-out's three branches, named by the Parallel state's ResultSelector. */
export const FanOutResults = z.object({
  /** Target mode's CRF searches (empty without a target). */
  probeResults: z.array(EncodeResult).default([]),
  chunkResults: z.array(EncodeResult),
  audioResults: z.array(EncodeResult),
  imageResults: z.array(ImageTaskResult),
});

/**
 * The assembler's input: the execution's state at the end. `plan` is missing when the split
 * itself failed past its retries (crashed, timed out): `failure` says why.
 */
export const AssembleInput = ExecutionInput.extend({
  plan: SplitResult.optional(),
  results: FanOutResults.optional(),
  failure: CaughtFailure.optional(),
});
export type AssembleInput = z.input<typeof AssembleInput>;

/** The assembler's result; the state machine fails the execution when the job failed. */
export const AssembleResult = z.object({ jobId: z.string(), status: JobStatus, manifestKey: z.string() });
export type AssembleResult = z.infer<typeof AssembleResult>;
