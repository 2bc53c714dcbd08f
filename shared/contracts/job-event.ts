/**
 * A job's lifecycle as events: one contract for both hosts and both channels. On AWS each is
 * put on the stack's EventBridge bus (source `fanout`, detail-type = `type`, detail = the whole
 * event); every webhook receives the same object as its body, signed per Standard Webhooks with
 * `id` as the `webhook-id`. The id is the same for the same job and type, whoever sends it and
 * however often: receivers deduplicate on it.
 */
import { z } from 'zod';
import { JobCost, JobErrorShape, MediaType } from './manifest.ts';

export const JOB_EVENT_SOURCE = 'fanout';

export const JobEventType = z.enum(['job.started', 'job.succeeded', 'job.rejected', 'job.failed']);
export type JobEventType = z.infer<typeof JobEventType>;

export const RenditionsSummary = z.object({
  count: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  videoRungs: z.array(z.string()),
  imageWidths: z.array(z.number().int()),
  hls: z.boolean(),
});

export const JobEvent = z.object({
  id: z.string().min(1),
  type: JobEventType,
  timestamp: z.iso.datetime(),
  data: z.object({
    jobId: z.string(),
    status: z.enum(['running', 'succeeded', 'rejected', 'failed']),
    source: z.object({ bucket: z.string(), key: z.string(), bytes: z.number().int().nonnegative().optional(), mediaType: MediaType.optional() }),
    error: JobErrorShape.optional(),
    /** In the renditions bucket; set once the job ended. */
    manifestKey: z.string().optional(),
    renditions: RenditionsSummary.optional(),
    timings: z.object({ uploadedAt: z.iso.datetime().optional(), receivedAt: z.iso.datetime(), finishedAt: z.iso.datetime().optional(), totalMs: z.number().nonnegative().optional() }).optional(),
    cost: JobCost.optional(),
  }),
});
export type JobEvent = z.infer<typeof JobEvent>;

export const jobEventId = (jobId: string, type: JobEventType) => `${type}.${jobId}`;
