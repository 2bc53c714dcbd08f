/**
 * A job's lifecycle events, built from what the finalizer already holds: the execution's input
 * when it starts, the manifest when it ends. Pure, so both hosts send the very same event, and
 * the id and timestamp come from the job, not the clock: a retried publish is the same event.
 */
import type { ExecutionInput } from '../contracts/execution-input.ts';
import { JobEvent, jobEventId, type JobEventType } from '../contracts/job-event.ts';
import type { Manifest } from '../contracts/manifest.ts';
import { keys } from '../keys.ts';

const ENDED_TYPE = { succeeded: 'job.succeeded', rejected: 'job.rejected', failed: 'job.failed' } as const satisfies Record<Manifest['status'], JobEventType>;

export function jobStartedEvent(input: ExecutionInput, startedAt: Date): JobEvent {
  const { jobId, upload, uploadedAt, receivedAt } = input;
  return JobEvent.parse({
    id: jobEventId(jobId, 'job.started'),
    type: 'job.started',
    timestamp: startedAt.toISOString(),
    data: {
      jobId,
      status: 'running',
      source: { bucket: upload.bucket, key: upload.key, bytes: upload.size },
      timings: { ...(uploadedAt ? { uploadedAt } : {}), receivedAt },
    },
  });
}

export function jobEndedEvent(manifest: Manifest): JobEvent {
  const { jobId, status, source, error, timings, cost } = manifest;
  const type = ENDED_TYPE[status];
  return JobEvent.parse({
    id: jobEventId(jobId, type),
    type,
    timestamp: timings.finishedAt,
    data: {
      jobId,
      status,
      source: { bucket: source.bucket, key: source.key, bytes: source.size, ...(source.mediaType ? { mediaType: source.mediaType } : {}) },
      ...(error ? { error } : {}),
      manifestKey: keys.manifest(jobId),
      renditions: renditionsSummary(manifest.renditions),
      timings: {
        ...(timings.uploadedAt ? { uploadedAt: timings.uploadedAt } : {}),
        receivedAt: timings.receivedAt,
        finishedAt: timings.finishedAt,
        totalMs: timings.totalMs,
      },
      ...(cost ? { cost } : {}),
    },
  });
}

/** What came out, in a few fields: the manifest has the full list. */
function renditionsSummary(renditions: Manifest['renditions']): JobEvent['data']['renditions'] {
  const videoRungs = renditions.flatMap((rendition) => (rendition.kind === 'video' ? [rendition.rung] : []));
  const imageWidths = renditions.flatMap((rendition) => (rendition.kind === 'image' && rendition.role === 'image' ? [rendition.width] : []));
  return {
    count: renditions.length,
    bytes: renditions.reduce((sum, rendition) => sum + ('bytes' in rendition ? rendition.bytes : 0), 0),
    videoRungs,
    imageWidths: [...new Set(imageWidths)].sort((a, b) => b - a),
    hls: renditions.some((rendition) => rendition.kind === 'hls'),
  };
}
