/** `fanout dev`: starts the local stack and keeps it running until Ctrl-C. */
import { mkdir } from 'node:fs/promises';
import { ensureDashboardBuilt } from '../../local/dashboard-site.ts';
import { startLocalStack, type StorageChoice, type TriggerChoice } from '../../local/local-stack.ts';
import { followJobs } from '../job-feed.ts';
import { connectionOf, defaultStateDir, removeConnection, writeConnection } from '../stack-connection.ts';
import { externalMinioFromEnv, logToStderr, qualityTargetEnvironment } from './shared-options.ts';
import { webhooksFromEnv } from './webhook-config.ts';

export async function runDev(options: { storage: StorageChoice; concurrency?: number; storagePort: number; sfnPort: number; trigger: TriggerChoice; qualityTarget?: string }): Promise<void> {
  const targetEnvironment = await qualityTargetEnvironment(options.qualityTarget);
  const stateDir = defaultStateDir();
  await mkdir(stateDir, { recursive: true });
  // Fixed ports, so the endpoints printed below stay valid across restarts.
  const ports = { storage: options.storagePort, console: options.storagePort + 1, stepFunctions: options.sfnPort, events: options.sfnPort + 1, api: options.sfnPort + 2, eventBridge: options.sfnPort + 3 };
  const { webhooks, secretFile } = await webhooksFromEnv(stateDir);
  await ensureDashboardBuilt(logToStderr);
  const stack = await startLocalStack({ stateDir, storage: options.storage, externalMinio: externalMinioFromEnv(), concurrency: options.concurrency, trigger: options.trigger, ports, webhooks, ...targetEnvironment, log: logToStderr });
  const connection = connectionOf(stack);
  await writeConnection(stateDir, connection);

  const storageName = { minio: 'MinIO', 'external-minio': 'MinIO (MINIO_ENDPOINT)', embedded: 'embedded S3 server' }[stack.storage.kind];
  process.stdout.write(
    [
      'Fanout local stack is running. Ctrl-C stops it.',
      `  dashboard       ${stack.api.dashboardUrl}`,
      '                  (opens signed in on this machine; the key is in the fragment, never sent to a server)',
      `  storage         ${storageName} at ${stack.storage.endpoint}`,
      `                  access key ${stack.storage.credentials.accessKeyId}, secret key ${stack.storage.credentials.secretAccessKey}`,
      `  input bucket    s3://${connection.buckets.input}   (uploads here start jobs)`,
      `  renditions      s3://${connection.buckets.renditions}/<job>/manifest.json and files`,
      `  step functions  ${stack.stepFunctionsEndpoint}   ${connection.stateMachineArn}`,
      `  api             ${stack.api.endpoint}/v1   (Authorization: Bearer <key in ${stack.api.keyFile}>; docs/api.md)`,
      `  job events      ${stack.eventBridgeEndpoint}   (EventBridge PutEvents; source fanout)`,
      webhooks.length === 0
        ? '  webhooks        none (set FANOUT_WEBHOOK_URL, and FANOUT_WEBHOOK_SECRET=whsec_… or one is generated)'
        : `  webhooks        ${webhooks.map((webhook) => webhook.url).join(', ')}   secret ${secretFile ? `in ${secretFile}` : 'from FANOUT_WEBHOOK_SECRET'}; dead letters in ${stateDir}/webhook-dead-letters.jsonl`,
      `  workers         up to ${options.concurrency ?? 'one per core'} at once; idle workers exit after 30 s`,
      `  state           ${stateDir}`,
      '',
      'Upload:  npx fanout upload <file>',
      `   or:   AWS_ACCESS_KEY_ID=${stack.storage.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${stack.storage.credentials.secretAccessKey} aws --endpoint-url ${stack.storage.endpoint} s3 cp <file> s3://${connection.buckets.input}/`,
      'Status:  npx fanout status [jobId]',
      `API:     curl -H "Authorization: Bearer $(cat ${stack.api.keyFile})" ${stack.api.endpoint}/v1/jobs`,
      '',
    ].join('\n'),
  );

  const feed = followJobs({
    sfn: stack.sfn,
    s3: stack.s3,
    stateMachineArn: connection.stateMachineArn,
    renditionsBucket: connection.buckets.renditions,
    onLine: (line) => process.stdout.write(`${line}\n`),
  });

  await new Promise<void>((resolve) => {
    const shutdown = () => resolve();
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  feed.stop();
  process.stderr.write('stopping…\n');
  await removeConnection(stateDir);
  await stack.stop();
}
