/** `fanout upload <file>`: uploads to the running stack and follows the job to its end. */
import { describeManifest } from '../job-report.ts';
import { connectToStack } from '../stack-connection.ts';
import { uploadFile } from '../upload-file.ts';
import { followJob } from '../follow-job.ts';
import { AWS_FINALIZER_GRACE_MS, FINALIZER_GRACE_MS } from '../watch-job.ts';
import { exitCodeFor } from './shared-options.ts';

export async function runUpload(filePath: string, options: { key?: string; wait: boolean; json: boolean; aws?: boolean; stack?: string }): Promise<number> {
  const { buckets, stateMachineArn, s3, sfn } = await connectToStack(options);
  const { jobId, uploadedAt } = await uploadFile({ s3, bucket: buckets.input, filePath, key: options.key, quiet: options.json });
  if (!options.wait) {
    process.stdout.write(`${options.json ? JSON.stringify({ jobId }) : `job ${jobId} started`}\n`);
    return 0;
  }
  const finalizerGraceMs = options.aws ? AWS_FINALIZER_GRACE_MS : FINALIZER_GRACE_MS;
  const manifest = await followJob({ s3, sfn, renditionsBucket: buckets.renditions, stateMachineArn, jobId, uploadedAt, finalizerGraceMs, quiet: options.json });
  process.stdout.write(options.json ? `${JSON.stringify(manifest, null, 2)}\n` : `${describeManifest(manifest, `s3://${buckets.renditions}/${jobId}/`)}\n`);
  return exitCodeFor[manifest.status];
}
