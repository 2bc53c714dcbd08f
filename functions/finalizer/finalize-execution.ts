/**
 * The finalizer's core: it hears every status change of a pipeline execution and turns it into
 * the job's record and the job's events.
 *
 * - RUNNING: the job started; it announces `job.started`.
 * - SUCCEEDED, FAILED, TIMED_OUT, ABORTED: the execution ended, perhaps before its assembler
 *   could write the manifest (its own timeout, a StopExecution, the assembler failing past its
 *   retries, storage gone). If no manifest exists, it writes a `failed` one with the execution's
 *   error, so the upload still has its answer; it clears what the job left behind; then it
 *   announces the ended event that the standing manifest says (succeeded, rejected, failed).
 *
 * A publish that fails throws: the event is retried (Lambda's asynchronous retries on AWS, the
 * local host's delivery locally), and a retry only finds the manifest already written and sends
 * the same event again, with the same id. On AWS, EventBridge's status-change event brings it;
 * the local host sends the same event, and again from its reconcile pass.
 */
import { z } from 'zod';
import { ExecutionInput } from '../../shared/contracts/execution-input.ts';
import { Manifest, type JobCost } from '../../shared/contracts/manifest.ts';
import { parseTaskFailure, type JobError } from '../../shared/errors.ts';
import { jobEndedEvent, jobStartedEvent } from '../../shared/job-events/build-job-event.ts';
import type { JobEventPublisher } from '../../shared/job-events/job-event-publisher.ts';
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
    startDate: z.number().nullish(),
    stopDate: z.number().nullish(),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChange = z.input<typeof ExecutionStatusChange>;

/** written-*: this call wrote the manifest, with that status. */
export type FinalizeOutcome = 'started' | 'written-failed' | 'written-rejected' | 'had-manifest' | 'no-manifest' | 'not-ended' | 'not-a-job';

export interface FinalizeDeps extends ManifestStore {
  /** Absent where the deployment has no event bus: the manifest is still written. */
  publisher?: JobEventPublisher;
  /** What the execution cost, read from its history (a floor: tasks that never returned left no figures); undefined when unknown. */
  costOf?: (executionArn: string) => Promise<JobCost | undefined>;
  now?: () => Date;
}

export async function finalizeExecution(event: z.output<typeof ExecutionStatusChange>, deps: FinalizeDeps): Promise<FinalizeOutcome> {
  const { detail } = event;
  if (detail.status === 'PENDING_REDRIVE') return 'not-ended';
  // An execution someone started by hand with another input is not a job of ours.
  const input = ExecutionInput.safeParse(safeJson(detail.input));
  if (!input.success) return 'not-a-job';
  const now = deps.now ?? (() => new Date());

  if (detail.status === 'RUNNING') {
    await deps.publisher?.publish(jobStartedEvent(input.data, detail.startDate ? new Date(detail.startDate) : now()));
    return 'started';
  }
  const { outcome, manifest } = await settleManifest(detail, input.data, { ...deps, now });
  if (manifest) await deps.publisher?.publish(jobEndedEvent(manifest));
  return outcome;
}

/** The manifest that stands for an ended execution: the assembler's, or the one written here. */
async function settleManifest(
  detail: z.output<typeof ExecutionStatusChange>['detail'],
  input: ExecutionInput,
  deps: ManifestStore & Pick<FinalizeDeps, 'costOf'> & { now: () => Date },
): Promise<{ outcome: FinalizeOutcome; manifest?: Manifest }> {
  const { jobId } = input;
  const existing = Manifest.safeParse(await deps.store.getJson({ bucket: deps.renditionsBucket, key: keys.manifest(jobId) }));
  if (existing.success) {
    // Written by the assembler, whose clean-up may not have finished: finish it (it is idempotent).
    await clearJobLeftovers(existing.data, deps);
    return { outcome: 'had-manifest', manifest: existing.data };
  }
  // A succeeded execution went through its assembler, which wrote the manifest: if it is gone,
  // the job was deleted since (DELETE /v1/jobs), and writing a `failed` one would bring it back.
  if (detail.status === 'SUCCEEDED') return { outcome: 'no-manifest' };

  const finishedAt = detail.stopDate ? new Date(detail.stopDate) : deps.now();
  const { rejected, ...error } = errorOf(detail);
  const status = rejected ? 'rejected' : 'failed';
  const cost = await deps.costOf?.(detail.executionArn);
  const written = await writeJobManifest(
    {
      schemaVersion: 1,
      jobId,
      status,
      source: input.upload,
      error,
      renditions: [],
      timings: jobTimings({ input, finishedAt }),
      ...(cost && { cost }),
    },
    deps,
  );
  // The assembler may have written its own in between: the first one stands.
  return { outcome: written.ours ? `written-${status}` : 'had-manifest', manifest: written.manifest };
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
