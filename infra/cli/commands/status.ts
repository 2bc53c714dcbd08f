/** `fanout status [jobId]`: lists jobs, or shows one. */
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import type { Manifest } from '../../../shared/contracts/manifest.ts';
import { keys } from '../../../shared/keys.ts';
import { describeJobList, describeManifest, describeProgress } from '../job-report.ts';
import { connectToStack, type StackClients } from '../stack-connection.ts';
import { describeEnd, progressOf, readManifest } from '../watch-job.ts';
import { exitCodeFor } from './shared-options.ts';

const LIST_LIMIT = 50;

export async function runStatus(jobId: string | undefined, options: { json: boolean; aws?: boolean; stack?: string }): Promise<number> {
  const clients = await connectToStack(options);
  return jobId ? showJob(clients, jobId, options.json) : listJobs(clients, options.json);
}

async function showJob({ buckets, stateMachineArn, s3, sfn }: StackClients, jobId: string, json: boolean): Promise<number> {
  const showManifest = (manifest: Manifest) => {
    process.stdout.write(json ? `${JSON.stringify(manifest, null, 2)}\n` : `${describeManifest(manifest, `s3://${buckets.renditions}/${jobId}/`)}\n`);
    return exitCodeFor[manifest.status];
  };
  const manifest = await readManifest(s3, buckets.renditions, jobId);
  if (manifest) return showManifest(manifest);
  const progress = await progressOf({ sfn, stateMachineArn, jobId });
  if (!progress) {
    process.stderr.write(`no job ${jobId}: not started, or unknown\n`);
    return 1;
  }
  // The manifest is written before the execution ends: an ended one without it has failed.
  const { ended } = progress;
  if (ended) {
    const late = await readManifest(s3, buckets.renditions, jobId);
    if (late) return showManifest(late);
    process.stdout.write(json ? `${JSON.stringify({ jobId, status: 'failed', execution: ended, progress })}\n` : `✖ job ${jobId} failed: ${describeEnd(ended)}\n`);
    return exitCodeFor.failed;
  }
  process.stdout.write(json ? `${JSON.stringify({ jobId, status: 'running', progress })}\n` : `job ${jobId} is ${describeProgress(progress, 'its execution started').label}\n`);
  return 0;
}

async function listJobs({ buckets, stateMachineArn, s3, sfn }: StackClients, json: boolean): Promise<number> {
  const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 100 }));
  const manifests: Array<{ jobId: string; modified: number }> = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: buckets.renditions })) {
    for (const object of page.Contents ?? []) {
      const jobId = keys.jobOfManifest(object.Key ?? '');
      if (jobId) manifests.push({ jobId, modified: object.LastModified?.getTime() ?? 0 });
    }
  }
  const withManifest = new Set(manifests.map(({ jobId }) => jobId));
  const newest = manifests.sort((a, b) => b.modified - a.modified).slice(0, LIST_LIMIT);
  const finished = await Promise.all(newest.map(({ jobId }) => readManifest(s3, buckets.renditions, jobId)));
  const rows = [
    ...executions.flatMap((execution) => {
      const jobId = execution.name ?? '';
      if (execution.status === 'RUNNING') return [{ jobId, status: 'running', source: '', renditions: '-', finishedAt: '-' }];
      // Ended without the manifest that the assembler writes first: failed, whatever the execution says.
      if (!withManifest.has(jobId)) return [{ jobId, status: `failed (${execution.status})`, source: '', renditions: '-', finishedAt: execution.stopDate?.toISOString() ?? '-' }];
      return [];
    }),
    ...finished.flatMap((manifest) =>
      manifest
        ? [{ jobId: manifest.jobId, status: manifest.error ? `${manifest.status} (${manifest.error.code})` : manifest.status, source: manifest.source.key, renditions: manifest.renditions.length, finishedAt: manifest.timings.finishedAt }]
        : [],
    ),
  ];
  process.stdout.write(json ? `${JSON.stringify(rows, null, 2)}\n` : `${describeJobList(rows)}\n`);
  return 0;
}
