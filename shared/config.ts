/**
 * The only module that reads the environment. Each handler calls its loader once, at cold
 * start; a missing or malformed variable fails there, naming the variable, rather than
 * surfacing as an odd error in the middle of a job.
 */
import { parseQualityTarget } from './contracts/quality.ts';
import { z } from 'zod';
import { JobX264Preset, RENDITION_PROFILE } from './rendition-profile.ts';

const commaSeparatedWidths = z
  .string()
  .transform((text) => text.split(',').map((part) => Number(part.trim())))
  .pipe(z.array(z.number().int().positive()).min(1));

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((flag) => flag === 'true' || flag === '1');

/** Endpoints are overridden on the local host only; on AWS these are unset. */
const ClientEnv = z.object({
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  AWS_ENDPOINT_URL_SFN: z.url().optional(),
  S3_FORCE_PATH_STYLE: booleanFlag.default(false),
});

/** Logs and metrics (shared/observability.ts), under Powertools' own variable names. */
export const ObservabilityEnv = z.object({
  POWERTOOLS_LOG_LEVEL: z
    .string()
    .transform((level) => level.toUpperCase())
    .pipe(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']))
    .default('INFO'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default('Fanout'),
});

/** What every function reads: its clients and its logs and metrics. */
const FunctionEnv = ClientEnv.extend(ObservabilityEnv.shape);

const ImageLimitsEnv = z.object({
  /** libvips refuses to decode more pixels than this: a pixel flood is rejected, not decoded. */
  IMAGE_MAX_PIXELS: z.coerce.number().int().positive().default(100_000_000),
});

const positiveSeconds = z.coerce.number().positive();

const MiB = 1024 ** 2;
/** The largest upload a job accepts: the API refuses to presign more, the splitter rejects more. */
const MaxInputBytes = z.coerce.number().int().positive().default(5 * 1024 ** 3);

/** The starter: upload events in, executions started; it touches no object. */
export const StarterEnv = FunctionEnv.extend({
  STATE_MACHINE_ARN: z.string().min(1),
  /** Events from any other bucket are ignored: a notification misrouted onto the outputs must not recurse. */
  INPUT_BUCKET: z.string().min(1),
});

export const SplitterEnv = FunctionEnv.extend(ImageLimitsEnv.shape).extend({
  WORK_BUCKET: z.string().min(1),
  IMAGE_WIDTHS: commaSeparatedWidths.default([...RENDITION_PROFILE.image.widths]),
  MAX_INPUT_BYTES: MaxInputBytes,
  MAX_DURATION_SECONDS: positiveSeconds.default(4 * 3600),
  MAX_VIDEO_WIDTH: z.coerce.number().int().positive().default(7680),
  MAX_VIDEO_HEIGHT: z.coerce.number().int().positive().default(4320),
  MAX_STREAMS: z.coerce.number().int().positive().default(8),
  /** About how long a chunk is; a multiple of SEGMENT_SECONDS keeps chunks on HLS segment starts. */
  CHUNK_SECONDS: positiveSeconds.default(RENDITION_PROFILE.chunkSeconds),
  SEGMENT_SECONDS: positiveSeconds.default(RENDITION_PROFILE.segmentSeconds),
  /** Closed GOPs of this length; it must divide SEGMENT_SECONDS. */
  GOP_SECONDS: positiveSeconds.default(RENDITION_PROFILE.gopSeconds),
  X264_PRESET: JobX264Preset.default(RENDITION_PROFILE.x264Preset),
  /** More chunks than this go through a Distributed Map on AWS. */
  DISTRIBUTED_MAP_THRESHOLD: z.coerce.number().int().positive().default(1000),
  THUMBNAILS: z.coerce.number().int().nonnegative().default(RENDITION_PROFILE.thumbnails.count),
  /** The assembler's ephemeral storage, set by the stack from its sizing: bounds the longest source. */
  ASSEMBLER_STORAGE_MIB: z.coerce.number().int().positive().default(10240),
  /** `ssim:0.98` or `vmaf:93` (where libvmaf exists): encode each chunk of each rung to it, and drop rungs that add nothing. Unset: the fixed ladder. */
  QUALITY_TARGET: z.string().optional().transform((text, context) => {
    if (text === undefined || text.trim() === '') return undefined;
    try {
      return parseQualityTarget(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  }),
  /**
   * Measure every n-th frame of each rung. 1 (every frame) is the default: on a grainy generated
   * source every 2nd frame moved the SSIM mean by about 0.004 (each chunk's IDR is always picked),
   * over the 0.002 a reported figure may move; n > 1 trades that accuracy for CPU.
   */
  QUALITY_SAMPLE_EVERY: z.coerce.number().int().positive().default(1),
}).refine((env) => env.SEGMENT_SECONDS % env.GOP_SECONDS === 0 && env.CHUNK_SECONDS % env.SEGMENT_SECONDS === 0, {
  message: 'GOP_SECONDS must divide SEGMENT_SECONDS, and SEGMENT_SECONDS must divide CHUNK_SECONDS',
  path: ['GOP_SECONDS'],
});

export const EncoderEnv = FunctionEnv.extend({
  WORK_BUCKET: z.string().min(1),
  /** ffmpeg threads per encode; 0 lets ffmpeg use every core (a Lambda sandbox's are its own). */
  FFMPEG_THREADS: z.coerce.number().int().nonnegative().default(0),
});

export const ImageResizeEnv = FunctionEnv.extend(ImageLimitsEnv.shape).extend({
  RENDITIONS_BUCKET: z.string().min(1),
});

export const AssemblerEnv = FunctionEnv.extend({
  RENDITIONS_BUCKET: z.string().min(1),
  WORK_BUCKET: z.string().min(1),
});

/** The finalizer: writes the manifest of an execution that ended without one. */
export const FinalizerEnv = FunctionEnv.extend({
  RENDITIONS_BUCKET: z.string().min(1),
  WORK_BUCKET: z.string().min(1),
});

/** The job API (functions/api): presigns uploads under `uploads/`, reports jobs, deletes them. */
export const ApiEnv = FunctionEnv.extend({
  INPUT_BUCKET: z.string().min(1),
  RENDITIONS_BUCKET: z.string().min(1),
  STATE_MACHINE_ARN: z.string().min(1),
  MAX_INPUT_BYTES: MaxInputBytes,
  /** Uploads larger than this get a multipart upload; S3 needs parts of at least 5 MiB. */
  MULTIPART_THRESHOLD_BYTES: z.coerce.number().int().positive().default(100 * MiB),
  MULTIPART_PART_BYTES: z.coerce.number().int().min(5 * MiB).default(64 * MiB),
  /** How long a presigned upload URL works. */
  UPLOAD_URL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
  /** Where playback URLs point: the CloudFront distribution on AWS, the local host's playback route locally. */
  PLAYBACK_BASE_URL: z.url().optional(),
  /** Set both to sign playback URLs (a CloudFront key group's public key id, and the SSM parameter holding its private key). */
  PLAYBACK_KEY_PAIR_ID: z.string().min(1).optional(),
  PLAYBACK_PRIVATE_KEY_PARAMETER: z.string().min(1).optional(),
  PLAYBACK_URL_SECONDS: z.coerce.number().int().positive().default(6 * 3600),
});

/** Where job events go: the stack's EventBridge bus (the local host serves the same API). */
export const JobEventsEnv = z.object({
  AWS_ENDPOINT_URL_EVENTBRIDGE: z.url().optional(),
  EVENT_BUS_NAME: z.string().min(1).optional(),
});

/** The webhook delivery function: SQS messages of job events in, signed POSTs out. */
export const WebhookDeliveryEnv = FunctionEnv.extend({
  /** Comma-separated receiver URLs; empty delivers nowhere. */
  WEBHOOK_URLS: z
    .string()
    .default('')
    .transform((text) => text.split(',').map((url) => url.trim()).filter(Boolean))
    .pipe(z.array(z.url())),
  /** The SSM SecureString parameter holding the `whsec_…` signing secret (free at rest, unlike Secrets Manager). */
  WEBHOOK_SECRET_PARAMETER: z.string().min(1),
  WEBHOOK_QUEUE_URL: z.url(),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

/** How a job's cost is reported: `local` hosts say it is modelled. */
export const CostEnv = z.object({ FANOUT_HOST: z.enum(['aws', 'local']).default('aws') });

export type ClientConfig = z.infer<typeof ClientEnv>;
export type ObservabilityConfig = z.infer<typeof ObservabilityEnv>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig<Schema extends z.ZodType>(schema: Schema, env: Record<string, string | undefined> = process.env): z.infer<Schema> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
}
