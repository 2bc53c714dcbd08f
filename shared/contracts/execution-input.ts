/**
 * What starts a job: the starter's execution input, named after the job id. It holds only what
 * the upload event said (the starter reads no object), so a duplicate event builds the same
 * job id and starts nothing new. The splitter, the pipeline's first state, takes it from here.
 */
import { z } from 'zod';
import { UploadRef } from './upload-event.ts';

export const ExecutionInput = z.object({
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
  upload: UploadRef,
  /** The event's time: when the object was stored. */
  uploadedAt: z.iso.datetime().optional(),
  /** When the starter took the event. */
  receivedAt: z.iso.datetime(),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;
