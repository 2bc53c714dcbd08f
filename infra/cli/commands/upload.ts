/** `fanout upload <file>`: uploads to the running stack (straight to storage, or through its job API) and follows the job to its end. */
import { describeManifest } from '../job-report.ts';
import { clientsFor, connectToStack, defaultStateDir, readConnection } from '../stack-connection.ts';
import { uploadFile } from '../upload-file.ts';
import { uploadThroughApi } from '../upload-through-api.ts';
import { followJob } from '../follow-job.ts';
import { AWS_FINALIZER_GRACE_MS, FINALIZER_GRACE_MS } from '../watch-job.ts';
import { exitCodeFor } from './shared-options.ts';

export interface UploadOptions {
  key?: string;
  wait: boolean;
  json: boolean;
  aws?: boolean;
  stack?: string;
  /** Through the running local stack's job API (apiEndpoint and apiKey from stack.json). */
  api?: boolean;
}

export async function runUpload(filePath: string, options: UploadOptions): Promise<number> {
  const { buckets, stateMachineArn, s3, sfn, upload } = await connect(options);
  const { jobId, uploadedAt } = await upload(filePath);
  if (!options.wait) {
    process.stdout.write(`${options.json ? JSON.stringify({ jobId }) : `job ${jobId} started`}\n`);
    return 0;
  }
  const finalizerGraceMs = options.aws ? AWS_FINALIZER_GRACE_MS : FINALIZER_GRACE_MS;
  const manifest = await followJob({ s3, sfn, renditionsBucket: buckets.renditions, stateMachineArn, jobId, uploadedAt, finalizerGraceMs, quiet: options.json });
  process.stdout.write(options.json ? `${JSON.stringify(manifest, null, 2)}\n` : `${describeManifest(manifest, `s3://${buckets.renditions}/${jobId}/`)}\n`);
  return exitCodeFor[manifest.status];
}

/** The stack's clients, and how this upload reaches its input bucket. */
async function connect(options: UploadOptions) {
  if (!options.api) {
    const clients = await connectToStack(options);
    return { ...clients, upload: (filePath: string) => uploadFile({ s3: clients.s3, bucket: clients.buckets.input, filePath, key: options.key, quiet: options.json }) };
  }
  if (options.aws) throw new Error('--api reaches the local stack\'s API (its bearer key is in stack.json); on AWS, call the API with your own credentials (docs/api.md)');
  if (options.key !== undefined) throw new Error('--key and --api: the API names the key itself (uploads/<uploadId>/<file name>)');
  const connection = await readConnection(defaultStateDir());
  const { apiEndpoint, apiKey } = connection;
  if (apiEndpoint === undefined || apiKey === undefined) throw new Error('the running stack has no job API: restart `npx fanout dev`');
  return { ...clientsFor(connection), upload: (filePath: string) => uploadThroughApi({ apiEndpoint, apiKey, filePath, quiet: options.json }) };
}
