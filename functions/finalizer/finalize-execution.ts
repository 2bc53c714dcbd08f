/**
 * The finalizer's core: an execution of the pipeline ended FAILED, TIMED_OUT or ABORTED, and
 * may have ended before its assembler could write the manifest (its own timeout, a
 * StopExecution, the assembler failing past its retries, storage gone). If no manifest exists,
 * it writes a `failed` one with the execution's error, so the upload still has its answer; then
 * it clears what the job left behind. On AWS, EventBridge's status-change event brings it; the
 * local host sends the same event when an execution ends, and again from its reconcile pass.
 */
import { z } from 'zod';
import { ExecutionInput } from '../../shared/contracts/execution-input.ts';
import { Manifest } from '../../shared/contracts/manifest.ts';
import { parseTaskFailure, type JobError } from '../../shared/errors.ts';
import { clearJobLeftovers, jobTimings, writeJobManifest, type ManifestStore } from '../../shared/job-manifest.ts';
import { keys } from '../../shared/keys.ts';

/** EventBridge's "Step Functions Execution Status Change" event, the fields we read. */
export const ExecutionStatusChange = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    name: z.string(),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    /** Epoch milliseconds. */
    stopDate: z.number().nullish(),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChange = z.input<typeof ExecutionStatusChange>;

/** written-*: this call wrote the manifest, with that status. */
export type FinalizeOutcome = 'written-failed' | 'written-rejected' | 'had-manifest' | 'not-ended' | 'not-a-job';

export async function finalizeExecution(event: z.output<typeof ExecutionStatusChange>, deps: ManifestStore & { now?: () => Date }): Promise<FinalizeOutcome> {
  const { detail } = event;
  if (detail.status === 'RUNNING' || detail.status === 'SUCCEEDED') return 'not-ended';
  // An execution someone started by hand with another input is not a job of ours.
  const input = ExecutionInput.safeParse(safeJson(detail.input));
  if (!input.success) return 'not-a-job';
  const { jobId } = input.data;

  const existing = Manifest.safeParse(await deps.store.getJson({ bucket: deps.renditionsBucket, key: keys.manifest(jobId) }));
  if (existing.success) {
    // Written by the assembler, whose clean-up may not have finished: finish it (it is idempotent).
    await clearJobLeftovers(existing.data, deps);
    return 'had-manifest';
  }

  const finishedAt = detail.stopDate ? new Date(detail.stopDate) : (deps.now ?? (() => new Date()))();
  const { rejected, ...error } = errorOf(detail);
  const status = rejected ? 'rejected' : 'failed';
  const written = await writeJobManifest(
    {
      schemaVersion: 1,
      jobId,
      status,
      source: input.data.upload,
      error,
      renditions: [],
      timings: jobTimings({ input: input.data, finishedAt }),
    },
    deps,
  );
  // The assembler may have written its own in between: the first one stands.
  return written.ours ? `written-${status}` : 'had-manifest';
}

function errorOf(detail: z.output<typeof ExecutionStatusChange>['detail']): JobError & { rejected: boolean } {
  if (detail.status === 'TIMED_OUT') return { code: 'TASK_TIMED_OUT', message: 'the execution reached its time limit before the job finished', rejected: false };
  if (detail.status === 'ABORTED') return { code: 'INTERNAL', message: 'the execution was stopped before the job finished', rejected: false };
  return parseTaskFailure({ Error: detail.error ?? undefined, Cause: detail.cause ?? undefined });
}

function safeJson(text: string | null | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
