/**
 * The assembler's core: whatever happened to the job, write its manifest. A job that did not
 * succeed keeps no partial renditions, so a reader never mistakes half a job for a whole one.
 */
import type { AssembleInput, AssembleResult, JobStatus, Manifest } from '../../shared/contracts/job.ts';
import { parseTaskFailure, type JobError } from '../../shared/errors.ts';
import { keys } from '../../shared/keys.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';

export interface AssembleDependencies {
  store: ObjectStore;
  renditionsBucket: string;
  now?: () => Date;
}

export async function assembleJob(input: AssembleInput, deps: AssembleDependencies): Promise<AssembleResult> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  const { status, error } = outcomeOf(input);
  const renditions = status === 'succeeded' ? (input.imageResults ?? []).flatMap((result) => result.renditions) : [];
  if (status !== 'succeeded') await deps.store.deletePrefix(deps.renditionsBucket, keys.jobPrefix(input.jobId));

  const finished = now();
  const manifest: Manifest = {
    schemaVersion: 1,
    jobId: input.jobId,
    status,
    source: input.source,
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
    renditions,
    timings: {
      receivedAt: input.receivedAt,
      finishedAt: finished.toISOString(),
      totalMs: Math.max(0, finished.getTime() - Date.parse(input.receivedAt)),
      splitMs: input.splitMs,
      assembleMs: finished.getTime() - started.getTime(),
      steps: (input.imageResults ?? []).map((result) => ({ step: 'resize', label: `${result.width}w`, ms: result.durationMs })),
    },
  };
  const manifestKey = keys.manifest(input.jobId);
  await deps.store.putJson({ bucket: deps.renditionsBucket, key: manifestKey }, manifest);
  return { jobId: input.jobId, status, manifestKey };
}

function outcomeOf(input: AssembleInput): { status: JobStatus; error?: JobError } {
  if (input.outcome === 'rejected') {
    return { status: 'rejected', error: input.error ?? { code: 'INTERNAL', message: 'rejected without a reason' } };
  }
  if (input.failure) {
    const failure = parseTaskFailure(input.failure);
    return { status: failure.rejected ? 'rejected' : 'failed', error: failure };
  }
  return { status: 'succeeded' };
}
