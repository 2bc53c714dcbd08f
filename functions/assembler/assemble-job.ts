/**
 * The assembler's core: whatever happened to the job, write its manifest, then clear the job's
 * work objects. A job that did not succeed keeps no partial renditions, so a reader never
 * mistakes half a job for a whole one.
 */
import { MediaPlan, type AssembleInput, type AssembleResult, type JobStatus, type Manifest, type Rendition } from '../../shared/contracts/job.ts';
import { FanoutError, TransientError, parseTaskFailure, type JobError } from '../../shared/errors.ts';
import { keys } from '../../shared/keys.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';
import { assembleMedia } from './assemble-media.ts';

export interface AssembleDependencies {
  store: ObjectStore;
  renditionsBucket: string;
  workBucket: string;
  tmpDir: string;
  now?: () => Date;
}

export async function assembleJob(input: AssembleInput, deps: AssembleDependencies): Promise<AssembleResult> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  let { status, error } = outcomeOf(input);
  let renditions: Rendition[] = [];
  if (status === 'succeeded') {
    try {
      renditions = [...(input.results?.imageResults ?? []).flatMap((result) => result.renditions), ...(await mediaRenditions(input, deps))];
    } catch (assemblyError) {
      // A storage hiccup is worth the state machine's retry; anything else ends the job here, with its manifest.
      if (assemblyError instanceof TransientError) throw assemblyError;
      status = 'failed';
      error = assemblyError instanceof FanoutError ? { code: assemblyError.code, message: assemblyError.detail } : { code: 'INTERNAL', message: String(assemblyError) };
    }
  }
  if (status !== 'succeeded') await deps.store.deletePrefix(deps.renditionsBucket, keys.jobPrefix(input.jobId));

  const finished = now();
  const manifest: Manifest = {
    schemaVersion: 1,
    jobId: input.jobId,
    status,
    source: input.source,
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
    renditions: status === 'succeeded' ? (renditions as Manifest['renditions']) : [],
    timings: {
      receivedAt: input.receivedAt,
      finishedAt: finished.toISOString(),
      totalMs: Math.max(0, finished.getTime() - Date.parse(input.receivedAt)),
      splitMs: input.splitMs,
      assembleMs: finished.getTime() - started.getTime(),
      steps: stepTimings(input),
    },
  };
  const manifestKey = keys.manifest(input.jobId);
  await deps.store.putJson({ bucket: deps.renditionsBucket, key: manifestKey }, manifest);
  await deps.store.deletePrefix(deps.workBucket, keys.jobPrefix(input.jobId));
  return { jobId: input.jobId, status, manifestKey };
}

async function mediaRenditions(input: AssembleInput, deps: AssembleDependencies): Promise<Rendition[]> {
  if (input.source.mediaType !== 'video' && input.source.mediaType !== 'audio') return [];
  const plan = MediaPlan.parse(await deps.store.getJson({ bucket: deps.workBucket, key: keys.plan(input.jobId) }));
  return assembleMedia(plan, deps);
}

function outcomeOf(input: AssembleInput): { status: JobStatus; error?: JobError } {
  if (input.outcome !== 'accepted') {
    return { status: input.outcome, error: input.error ?? { code: 'INTERNAL', message: `${input.outcome} without a reason` } };
  }
  if (input.failure) {
    const failure = parseTaskFailure(input.failure);
    return { status: failure.rejected ? 'rejected' : 'failed', error: failure };
  }
  return { status: 'succeeded' };
}

function stepTimings(input: AssembleInput): Manifest['timings']['steps'] {
  const results = input.results;
  if (!results) return [];
  return [
    ...results.chunkResults.map((result) => ({ step: 'encode', label: `chunk ${result.index ?? 0}`, ms: result.durationMs })),
    ...results.audioResults.map((result) => ({ step: 'audio', label: 'audio', ms: result.durationMs })),
    ...results.imageResults.map((result) => ({ step: 'resize', label: `${result.renditions[0]?.role ?? 'image'} ${result.width}w`, ms: result.durationMs })),
  ];
}
