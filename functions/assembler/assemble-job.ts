/**
 * The assembler's core: whatever happened to the job, write its manifest, then clear the job's
 * work objects (shared/job-manifest.ts). It runs at the end of every execution that the state
 * machine itself can finish: after the fan-out, after a refused or failed split, and after a
 * split that crashed or timed out (Catch), in which case `failure` says why and no plan exists.
 */
import type { JobStatus, Manifest, Rendition } from '../../shared/contracts/manifest.ts';
import type { LadderReport } from '../../shared/contracts/quality.ts';
import { detectQualityMetric, measuredWith } from '../../shared/media/ffmpeg/detect-quality-metric.ts';
import { MediaPlan, type AssembleInput, type AssembleResult } from '../../shared/contracts/work-plan.ts';
import { FanoutError, TransientError, parseTaskFailure, type JobError } from '../../shared/errors.ts';
import { jobTimings, writeJobManifest } from '../../shared/job-manifest.ts';
import { keys } from '../../shared/keys.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';
import { assembleMedia, type MediaAssembly } from './assemble-media.ts';
import { assemblyCost, type AssemblerRun } from './assembly-cost.ts';

export interface AssembleDependencies {
  store: ObjectStore;
  renditionsBucket: string;
  workBucket: string;
  tmpDir: string;
  /** Where the job ran, and the assembler's own memory, for the manifest's cost. */
  cost: Omit<AssemblerRun, 'durationMs'>;
  now?: () => Date;
}

export async function assembleJob(input: AssembleInput, deps: AssembleDependencies): Promise<AssembleResult> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  let { status, error } = outcomeOf(input);
  let renditions: Rendition[] = [];
  let ladder: LadderReport | undefined;
  if (status === 'succeeded') {
    try {
      const media = await mediaRenditions(input, deps);
      renditions = [...(input.results?.imageResults ?? []).flatMap((result) => result.renditions), ...media.renditions];
      ladder = media.ladder;
    } catch (assemblyError) {
      // A storage hiccup is worth the state machine's retry; anything else ends the job here, with its manifest.
      if (assemblyError instanceof TransientError) throw assemblyError;
      status = 'failed';
      error = assemblyError instanceof FanoutError ? { code: assemblyError.code, message: assemblyError.detail } : { code: 'INTERNAL', message: String(assemblyError) };
    }
  }

  const finished = now();
  const assembleMs = finished.getTime() - started.getTime();
  const manifest: Manifest = {
    schemaVersion: 1,
    jobId: input.jobId,
    status,
    source: input.plan?.source ?? input.upload,
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
    renditions: status === 'succeeded' ? (renditions as Manifest['renditions']) : [],
    ...(status === 'succeeded' && ladder ? { ladder } : {}),
    timings: jobTimings({ input, finishedAt: finished, ...(input.plan ? { split: input.plan } : {}), assembleMs, steps: stepTimings(input) }),
    cost: assemblyCost(input, { ...deps.cost, durationMs: assembleMs }),
  };
  const written = await writeJobManifest(manifest, deps);
  return { jobId: input.jobId, status: written.manifest.status, manifestKey: written.manifestKey };
}

async function mediaRenditions(input: AssembleInput, deps: AssembleDependencies): Promise<MediaAssembly> {
  const mediaType = input.plan?.source.mediaType;
  if (mediaType !== 'video' && mediaType !== 'audio') return { renditions: [] };
  const plan = MediaPlan.parse(await deps.store.getJson({ bucket: deps.workBucket, key: keys.plan(input.jobId) }));
  const { renditions, ladder } = await assembleMedia(plan, deps);
  if (!plan.quality) return { renditions, ...(ladder && { ladder }) };
  // The encoders measured with the same ffmpeg build as this function's (one image for all).
  const measured = measuredWith(await detectQualityMetric(), plan.quality.metric);
  return { renditions, ladder: ladder ? { ...ladder, measuredWith: measured } : { mode: 'fixed', measuredWith: measured, dropped: [] } };
}

function outcomeOf(input: AssembleInput): { status: JobStatus; error?: JobError } {
  if (input.failure) {
    const failure = parseTaskFailure(input.failure);
    return { status: failure.rejected ? 'rejected' : 'failed', error: failure };
  }
  if (!input.plan) return { status: 'failed', error: { code: 'INTERNAL', message: 'the job reached assembly without a plan or a failure' } };
  if (input.plan.outcome !== 'accepted') {
    return { status: input.plan.outcome, error: input.plan.error ?? { code: 'INTERNAL', message: `${input.plan.outcome} without a reason` } };
  }
  return { status: 'succeeded' };
}

function stepTimings(input: AssembleInput): Manifest['timings']['steps'] {
  const results = input.results;
  if (!results) return [];
  return [
    // Target mode's CRF searches, before the encodes they steer.
    ...(results.probeResults ?? []).map((result) => ({ step: 'encode', label: `CRF search ${result.index ?? 0}`, ms: result.durationMs, attempts: result.attempts })),
    ...results.chunkResults.map((result) => ({ step: 'encode', label: `chunk ${result.index ?? 0}`, ms: result.durationMs, attempts: result.attempts })),
    ...results.audioResults.map((result) => ({ step: 'audio', label: `audio ${result.track ?? 0}`, ms: result.durationMs, attempts: result.attempts })),
    ...results.imageResults.map((result) => ({ step: 'resize', label: `${result.renditions[0]?.role ?? 'image'} ${result.width}w`, ms: result.durationMs, attempts: result.attempts })),
  ];
}
