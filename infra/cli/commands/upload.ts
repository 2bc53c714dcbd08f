/** `fanout upload <file>`: uploads to the running stack and follows the job to its end. */
import { describeManifest } from '../job-report.ts';
import { clientsFor, defaultStateDir, readConnection } from '../stack-connection.ts';
import { uploadFile } from '../upload-file.ts';
import { followJob } from '../follow-job.ts';
import { exitCodeFor } from './shared-options.ts';

export async function runUpload(filePath: string, options: { key?: string; wait: boolean; json: boolean }): Promise<number> {
  const { connection, s3, sfn } = clientsFor(await readConnection(defaultStateDir()));
  const { jobId } = await uploadFile({ s3, bucket: connection.buckets.input, filePath, key: options.key, quiet: options.json });
  if (!options.wait) {
    process.stdout.write(`${options.json ? JSON.stringify({ jobId }) : `job ${jobId} started`}\n`);
    return 0;
  }
  const manifest = await followJob({ s3, sfn, renditionsBucket: connection.buckets.renditions, stateMachineArn: connection.stateMachineArn, jobId, quiet: options.json });
  process.stdout.write(options.json ? `${JSON.stringify(manifest, null, 2)}\n` : `${describeManifest(manifest, `s3://${connection.buckets.renditions}/${jobId}/`)}\n`);
  return exitCodeFor[manifest.status];
}
