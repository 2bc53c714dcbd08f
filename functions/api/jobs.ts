/**
 * Jobs as the API reports them, read from the two places that know: the execution (queued,
 * running, progress from its history) and the manifest (how it ended, what it made). A job
 * whose execution ended but whose manifest and source are gone was deleted: it is unknown.
 */
import { DeleteObjectsCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListExecutionsCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import pLimit from 'p-limit';
import type { Job, JobList, JobSummary, JobTimeline } from '../../shared/contracts/api.ts';
import { ExecutionInput } from '../../shared/contracts/execution-input.ts';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { readJobManifest } from '../../shared/job-manifest.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { keys } from '../../shared/keys.ts';
import { sdkErrorKind } from '../../shared/sdk-error-kind.ts';
import { summarizeProgress, tasksOf } from '../../shared/summarize-progress.ts';
import { timelineOf } from '../../shared/job-timeline.ts';
import { executionArnFor, executionHistory } from '../../shared/workflow.ts';
import type { ApiConfig } from './api-config.ts';
import { ApiProblem } from './api-problem.ts';
import { playbackOf, type PlaybackPort } from './playback.ts';

export interface JobDeps {
  config: ApiConfig;
  s3: S3Client;
  sfn: SFNClient;
  playback?: PlaybackPort;
  now: () => Date;
}

const JOB_ID = /^[A-Za-z0-9_-]{1,80}$/;
/** Manifests read at once while listing: a page of 100 must not open 100 connections. */
const MANIFEST_READS = 8;

type Execution = DescribeExecutionCommandOutput;

async function orUndefined<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    if (sdkErrorKind(error) === 'not-found') return undefined;
    throw error;
  }
}

function readManifest(jobId: string, { config, s3 }: Pick<JobDeps, 'config' | 's3'>): Promise<Manifest | undefined> {
  return readJobManifest(s3ObjectStore(s3), config.RENDITIONS_BUCKET, jobId);
}

function describe(jobId: string, { config, sfn }: Pick<JobDeps, 'config' | 'sfn'>): Promise<Execution | undefined> {
  return orUndefined(sfn.send(new DescribeExecutionCommand({ executionArn: executionArnFor(config.STATE_MACHINE_ARN, jobId) })));
}

function inputOf(execution: Execution | undefined): ExecutionInput | undefined {
  if (!execution?.input) return undefined;
  try {
    const parsed = ExecutionInput.safeParse(JSON.parse(execution.input));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Listed rather than read: the source may be any key, and the API may read only its own uploads. */
async function sourceExists(source: { key: string; versionId?: string }, { config, s3 }: Pick<JobDeps, 'config' | 's3'>): Promise<boolean> {
  const page = await s3.send(new ListObjectVersionsCommand({ Bucket: config.INPUT_BUCKET, Prefix: source.key, MaxKeys: 100 }));
  return (page.Versions ?? []).some((version) => version.Key === source.key && (!source.versionId || version.VersionId === source.versionId));
}

export async function getJob(jobId: string, deps: JobDeps): Promise<Job> {
  if (!JOB_ID.test(jobId)) throw notFound(jobId);
  const [execution, manifest] = await Promise.all([describe(jobId, deps), readManifest(jobId, deps)]);
  const input = inputOf(execution);
  if (manifest) {
    const steps = manifest.timings.steps.length;
    return {
      ...summaryOfManifest(manifest),
      progress: { done: steps, total: steps },
      manifest,
      ...(manifest.status === 'succeeded' && deps.playback && { playback: playbackOf(manifest, await deps.playback.forJob(jobId)) }),
    };
  }
  if (!execution?.executionArn || !execution.startDate) throw notFound(jobId);
  if (execution.status !== 'RUNNING' && (!input || !(await sourceExists(input.upload, deps)))) throw notFound(jobId);
  const uploadedAt = input?.uploadedAt ? Date.parse(input.uploadedAt) : execution.startDate.getTime();
  const progress = summarizeProgress((await executionHistory(deps.sfn, execution.executionArn)) ?? [], { uploadedAt, now: deps.now().getTime() });
  const { done, total } = tasksOf(progress);
  const base = {
    jobId,
    createdAt: execution.startDate.toISOString(),
    ...(input && { sourceKey: input.upload.key }),
    progress: { done, total },
  };
  if (execution.status === 'RUNNING' || execution.status === 'SUCCEEDED') {
    // SUCCEEDED without a manifest: the assembler's write is not visible yet; it is still finishing.
    return { ...base, status: progress.phase === 'queued' ? 'queued' : 'running' };
  }
  // Ended without a manifest: the finalizer writes one shortly; until then, say how it ended.
  return {
    ...base,
    status: 'failed',
    ...(execution.stopDate && { finishedAt: execution.stopDate.toISOString() }),
    error: { code: 'INTERNAL', message: `execution ${execution.status}${execution.error ? `: ${execution.error}` : ''}${execution.cause ? ` (${execution.cause})` : ''}` },
  };
}

/**
 * The fan-out as it happened, from the execution's history (kept 90 days on AWS). A job known
 * as getJob knows it: an execution that ended with neither a manifest nor a source was deleted.
 */
export async function getJobTimeline(jobId: string, deps: JobDeps): Promise<JobTimeline> {
  if (!JOB_ID.test(jobId)) throw notFound(jobId);
  const [execution, manifest] = await Promise.all([describe(jobId, deps), readManifest(jobId, deps)]);
  if (!execution?.executionArn) throw notFound(jobId);
  if (!manifest && execution.status !== 'RUNNING') {
    const input = inputOf(execution);
    if (!input || !(await sourceExists(input.upload, deps))) throw notFound(jobId);
  }
  const events = await executionHistory(deps.sfn, execution.executionArn);
  if (!events) throw notFound(jobId);
  return { jobId, ...timelineOf(events, { now: deps.now().getTime() }) };
}

/** What an upload's job says so far: queued until its execution exists. */
export async function jobStatusOf(jobId: string, deps: JobDeps): Promise<Job['status']> {
  try {
    return (await getJob(jobId, deps)).status;
  } catch (error) {
    if (error instanceof ApiProblem && error.code === 'JOB_NOT_FOUND') return 'queued';
    throw error;
  }
}

function summaryOfManifest(manifest: Manifest): JobSummary {
  return {
    jobId: manifest.jobId,
    status: manifest.status,
    sourceKey: manifest.source.key,
    ...(manifest.source.mediaType && { mediaType: manifest.source.mediaType }),
    source: {
      bytes: manifest.source.size,
      ...(manifest.source.durationSeconds !== undefined && { durationSeconds: manifest.source.durationSeconds }),
      ...(manifest.source.width !== undefined && { width: manifest.source.width }),
      ...(manifest.source.height !== undefined && { height: manifest.source.height }),
    },
    createdAt: manifest.timings.receivedAt,
    finishedAt: manifest.timings.finishedAt,
    ...(manifest.error && { error: manifest.error }),
  };
}

/** Newest first, as Step Functions lists executions; a page's ended jobs read their manifests, a few at a time. */
export async function listJobs({ limit, cursor }: { limit: number; cursor?: string }, deps: JobDeps): Promise<JobList> {
  let page;
  try {
    page = await deps.sfn.send(new ListExecutionsCommand({ stateMachineArn: deps.config.STATE_MACHINE_ARN, maxResults: limit, nextToken: cursor }));
  } catch (error) {
    if (error instanceof Error && error.name === 'InvalidToken') throw new ApiProblem(400, 'INVALID_REQUEST', 'cursor: not a cursor this API gave out');
    throw error;
  }
  const readOne = pLimit(MANIFEST_READS);
  const jobs = await Promise.all(
    (page.executions ?? []).map((execution) =>
      readOne(async (): Promise<JobSummary | undefined> => {
        const jobId = execution.name!;
        const createdAt = (execution.startDate ?? deps.now()).toISOString();
        if (execution.status === 'RUNNING') {
          // Its source and progress, as its own page shows them (a list of 100 holds few running jobs).
          const job = await getJob(jobId, deps).catch((error: unknown) => {
            if (error instanceof ApiProblem) return undefined;
            throw error;
          });
          if (!job) return { jobId, status: 'running', createdAt };
          const { manifest: _manifest, playback: _playback, ...summary } = job;
          return summary;
        }
        const manifest = await readManifest(jobId, deps);
        // Ended with no manifest: deleted (or about to be finalized); either way not a job to list.
        return manifest ? summaryOfManifest(manifest) : undefined;
      }),
    ),
  );
  return { jobs: jobs.filter((job) => job !== undefined), nextCursor: page.nextToken ?? null };
}

function notFound(jobId: string): ApiProblem {
  return new ApiProblem(404, 'JOB_NOT_FOUND', `no job ${jobId}`);
}

/**
 * Forgets a finished job: its renditions (everything under `<jobId>/`) and every version and
 * delete marker of its source key. Nothing else: another upload's key is never a prefix match.
 */
export async function deleteJob(jobId: string, deps: JobDeps): Promise<void> {
  if (!JOB_ID.test(jobId)) throw notFound(jobId);
  const [execution, manifest] = await Promise.all([describe(jobId, deps), readManifest(jobId, deps)]);
  if (execution?.status === 'RUNNING') throw new ApiProblem(409, 'JOB_NOT_FINISHED', `job ${jobId} is still running; delete it once it has ended`);
  const source = manifest?.source ?? inputOf(execution)?.upload;
  if (!manifest && (!source || !(await sourceExists(source, deps)))) throw notFound(jobId);
  // The renditions bucket keeps no versions: clearing the job's prefix is all there is.
  await s3ObjectStore(deps.s3).deletePrefix(deps.config.RENDITIONS_BUCKET, keys.jobPrefix(jobId));
  if (source) await deleteVersions(deps.s3, deps.config.INPUT_BUCKET, source.key, (key) => key === source.key);
}

/** Every version and delete marker under `prefix` whose key matches; works on unversioned buckets too. */
async function deleteVersions(s3: S3Client, bucket: string, prefix: string, matches: (key: string) => boolean): Promise<void> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((entry) => entry.Key !== undefined && matches(entry.Key))
      .map((entry) => ({ Key: entry.Key!, ...(entry.VersionId && entry.VersionId !== 'null' ? { VersionId: entry.VersionId } : {}) }));
    if (objects.length > 0) {
      const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
      const failed = result.Errors?.[0];
      if (failed) throw new Error(`deleting s3://${bucket}/${failed.Key}: ${failed.Code}: ${failed.Message}`);
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
}
