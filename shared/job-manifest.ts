/**
 * Writing a job's manifest, the one record every upload ends with: the assembler writes it for
 * every execution that reaches it, the finalizer for one that ended without it. Both go
 * through here, so the record and its clean-up are the same whoever writes them; its readers
 * (the CLI, the job API) read it through here too.
 */
import type { ExecutionInput } from './contracts/execution-input.ts';
import { Manifest } from './contracts/manifest.ts';
import { keys } from './keys.ts';
import type { ObjectStore } from './storage/object-store.ts';

/** A job's manifest, or undefined while it has none; storage errors come mapped (shared/storage). */
export async function readJobManifest(store: Pick<ObjectStore, 'getJson'>, renditionsBucket: string, jobId: string): Promise<Manifest | undefined> {
  const raw = await store.getJson({ bucket: renditionsBucket, key: keys.manifest(jobId) });
  return raw === undefined ? undefined : Manifest.parse(raw);
}

export interface ManifestStore {
  store: ObjectStore;
  renditionsBucket: string;
  workBucket: string;
}

/**
 * The manifest first, then the clean-up: if storage fails half-way through the clean-up, the
 * upload still has its answer, and a retry only clears what is left. A job that did not succeed
 * keeps no partial renditions, so a reader never mistakes half a job for a whole one.
 *
 * The first manifest written wins (If-None-Match): a task still running after its execution was
 * stopped or timed out must not turn the finalizer's `failed` into a `succeeded` whose renditions
 * were already cleared. The manifest that stands is returned, and its status decides the clean-up.
 */
export async function writeJobManifest(manifest: Manifest, deps: ManifestStore): Promise<{ manifestKey: string; manifest: Manifest; ours: boolean }> {
  const manifestKey = keys.manifest(manifest.jobId);
  const ref = { bucket: deps.renditionsBucket, key: manifestKey };
  let standing = Manifest.parse(manifest);
  let ours = true;
  if ((await deps.store.putJson(ref, standing, { ifAbsent: true })) === 'exists') {
    const existing = Manifest.safeParse(await deps.store.getJson(ref));
    // Something unreadable under the manifest's key is not a record to keep.
    if (existing.success) [standing, ours] = [existing.data, false];
    else await deps.store.putJson(ref, standing);
  }
  await clearJobLeftovers(standing, deps);
  return { manifestKey, manifest: standing, ours };
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
