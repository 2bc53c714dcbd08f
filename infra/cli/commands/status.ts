/** `fanout status [jobId]`: lists jobs, or shows one. */
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { keys } from '../../../shared/keys.ts';
import { describeJobList, describeManifest } from '../job-report.ts';
import { connectToStack, type StackClients } from '../stack-connection.ts';
import { progressOf, readManifest } from '../watch-job.ts';
import { exitCodeFor } from './shared-options.ts';

const LIST_LIMIT = 50;

export async function runStatus(jobId: string | undefined, options: { json: boolean; aws?: boolean; stack?: string }): Promise<number> {
  const clients = await connectToStack(options);
  return jobId ? showJob(clients, jobId, options.json) : listJobs(clients, options.json);
}

async function showJob({ buckets, stateMachineArn, s3, sfn }: StackClients, jobId: string, json: boolean): Promise<number> {
  const manifest = await readManifest(s3, buckets.renditions, jobId);
  if (manifest) {
    process.stdout.write(json ? `${JSON.stringify(manifest, null, 2)}\n` : `${describeManifest(manifest, `s3://${buckets.renditions}/${jobId}/`)}\n`);
    return exitCodeFor[manifest.status];
  }
  const progress = await progressOf({ sfn, stateMachineArn: stateMachineArn, jobId });
  if (progress.phase === 'waiting for the splitter') {
    process.stderr.write(`no job ${jobId}: not started, or unknown\n`);
    return 1;
  }
  const line = `job ${jobId} is ${progress.phase}: ${progress.done}/${progress.total} tasks done`;
  process.stdout.write(json ? `${JSON.stringify({ jobId, status: 'running', ...progress })}\n` : `${line}\n`);
  return 0;
}

async function listJobs({ buckets, stateMachineArn, s3, sfn }: StackClients, json: boolean): Promise<number> {
  const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stateMachineArn, statusFilter: 'RUNNING' }));
  const manifests: Array<{ jobId: string; modified: number }> = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: buckets.renditions })) {
    for (const object of page.Contents ?? []) {
      const jobId = keys.jobOfManifest(object.Key ?? '');
      if (jobId) manifests.push({ jobId, modified: object.LastModified?.getTime() ?? 0 });
    }
  }
  const newest = manifests.sort((a, b) => b.modified - a.modified).slice(0, LIST_LIMIT);
  const finished = await Promise.all(newest.map(({ jobId }) => readManifest(s3, buckets.renditions, jobId)));
  const rows = [
    ...(running.executions ?? []).map((execution) => ({ jobId: execution.name ?? '', status: 'running', source: '', renditions: '-', finishedAt: '-' })),
    ...finished.flatMap((manifest) =>
      manifest
        ? [{ jobId: manifest.jobId, status: manifest.error ? `${manifest.status} (${manifest.error.code})` : manifest.status, source: manifest.source.key, renditions: manifest.renditions.length, finishedAt: manifest.timings.finishedAt }]
        : [],
    ),
  ];
  process.stdout.write(json ? `${JSON.stringify(rows, null, 2)}\n` : `${describeJobList(rows)}\n`);
  return 0;
}
