/**
 * Writing a job's manifest, the one record every upload ends with: the assembler writes it for
 * every execution that reaches it, the finalizer for one that ended without it. Both go
 * through here, so the record and its clean-up are the same whoever writes them.
 */
import type { ExecutionInput } from './contracts/execution-input.ts';
import { Manifest } from './contracts/manifest.ts';
import { keys } from './keys.ts';
import type { ObjectStore } from './storage/object-store.ts';

export interface ManifestStore {
  store: ObjectStore;
  renditionsBucket: string;
  workBucket: string;
}

/**
 * The manifest first, then the clean-up: if storage fails half-way through the clean-up, the
 * upload still has its answer, and a retry only clears what is left. A job that did not succeed
 * keeps no partial renditions, so a reader never mistakes half a job for a whole one.
 */
export async function writeJobManifest(manifest: Manifest, { store, renditionsBucket, workBucket }: ManifestStore): Promise<string> {
  const manifestKey = keys.manifest(manifest.jobId);
  await store.putJson({ bucket: renditionsBucket, key: manifestKey }, Manifest.parse(manifest));
  await clearJobLeftovers(manifest, { store, renditionsBucket, workBucket });
  return manifestKey;
}

export async function clearJobLeftovers({ jobId, status }: Pick<Manifest, 'jobId' | 'status'>, { store, renditionsBucket, workBucket }: ManifestStore): Promise<void> {
  if (status !== 'succeeded') await store.deletePrefix(renditionsBucket, keys.jobPrefix(jobId), [keys.manifest(jobId)]);
  await store.deletePrefix(workBucket, keys.jobPrefix(jobId));
}

/**
 * Where a job's time went, measured from the upload (the event's time) so that the queue wait,
 * the trigger's and the free worker's, is counted, and kept apart from the work.
 */
export function jobTimings(args: {
  input: Pick<ExecutionInput, 'uploadedAt' | 'receivedAt'>;
  finishedAt: Date;
  split?: { startedAt: string; splitMs: number };
  assembleMs?: number;
  steps?: Manifest['timings']['steps'];
}): Manifest['timings'] {
  const { input, finishedAt, split } = args;
  const since = Date.parse(input.uploadedAt ?? input.receivedAt);
  const workStarted = split ? Date.parse(split.startedAt) : finishedAt.getTime();
  return {
    ...(input.uploadedAt ? { uploadedAt: input.uploadedAt } : {}),
    receivedAt: input.receivedAt,
    finishedAt: finishedAt.toISOString(),
    totalMs: Math.max(0, finishedAt.getTime() - since),
    queuedMs: Math.max(0, workStarted - since),
    splitMs: split?.splitMs ?? 0,
    assembleMs: args.assembleMs ?? 0,
    steps: args.steps ?? [],
  };
}
