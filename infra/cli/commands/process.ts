/**
 * `fanout process <file>`: the one-shot form. Brings up an ephemeral stack, runs one job
 * through the same trigger, functions and state machine as `fanout dev`, copies the results
 * into a folder and tears the stack down.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type StorageChoice } from '../../local/local-stack.ts';
import { checkInputFile } from '../check-input-file.ts';
import { downloadJob } from '../download-job.ts';
import { followJob } from '../follow-job.ts';
import { describeManifest } from '../job-report.ts';
import { uploadFile } from '../upload-file.ts';
import { onInterrupt } from '../on-interrupt.ts';
import { exitCodeFor, externalMinioFromEnv, logToStderr, qualityTargetEnvironment } from './shared-options.ts';
import { sampleFile } from '../sample-file.ts';

export async function runProcess(file: string | undefined, options: { json: boolean; out?: string; storage: StorageChoice; concurrency?: number; qualityTarget?: string }): Promise<number> {
  const filePath = file ?? (await sampleFile(logToStderr));
  if (!file) logToStderr(`no file given: processing the bundled sample ${filePath}`);
  await checkInputFile(filePath);
  const targetEnvironment = await qualityTargetEnvironment(options.qualityTarget);
  const stateDir = await mkdtemp(join(tmpdir(), 'fanout-process-'));
  logToStderr(`state folder (removed at the end, on Ctrl-C too): ${stateDir}`);
  const starting = startLocalStack({ stateDir, storage: options.storage, externalMinio: externalMinioFromEnv(), concurrency: options.concurrency, ...targetEnvironment, log: logToStderr });
  // One tear-down, whichever comes first: the end of the job or a signal.
  let tornDown: Promise<void> | undefined;
  const tearDown = () =>
    (tornDown ??= (async () => {
      const stack = await starting.catch(() => undefined);
      await stack?.stop();
      await rm(stateDir, { recursive: true, force: true });
    })());
  const interrupt = onInterrupt(async (signal) => {
    logToStderr(`${signal}: stopping the local stack and removing ${stateDir} (again to quit at once)`);
    await tearDown();
  });
  try {
    const stack = await starting;
    logToStderr(`local stack up: ${stack.storage.kind} storage at ${stack.storage.endpoint}, step functions at ${stack.stepFunctionsEndpoint}, api at ${stack.api.endpoint} (key in ${stack.api.keyFile})`);
    logToStderr(`watch it in the dashboard while it runs: ${stack.api.dashboardUrl}`);
    const { buckets, stateMachine } = stack.deployment;
    const { jobId, uploadedAt } = await uploadFile({ s3: stack.s3, bucket: buckets.input, filePath, quiet: options.json });
    const manifest = await followJob({ s3: stack.s3, sfn: stack.sfn, renditionsBucket: buckets.renditions, stateMachineArn: stateMachine.arn, jobId, uploadedAt, quiet: options.json });
    const outDir = await downloadJob({ s3: stack.s3, renditionsBucket: buckets.renditions, manifest, outDir: options.out ?? join('fanout-output', jobId) });
    process.stdout.write(options.json ? `${JSON.stringify(manifest, null, 2)}\n` : `${describeManifest(manifest, outDir)}\n`);
    if (options.json) logToStderr(`manifest and renditions written to ${outDir}`);
    return exitCodeFor[manifest.status];
  } catch (error) {
    // Interrupted: what failed was the stack going away under the job, not the job.
    if (interrupt.received) return interrupt.exitCode;
    throw error;
  } finally {
    if (!interrupt.received) interrupt.dispose();
    await tearDown();
  }
}
