/**
 * An execution that ends without reaching its assembler (stopped, timed out, failed past its
 * retries) still leaves its upload a manifest: the local host sends the execution's end to the
 * finalizer, as EventBridge does on AWS, and its reconcile pass finalizes at start whatever
 * ended while nothing could write (the finalizer met dead storage, the host stopped).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand, GetBucketLifecycleConfigurationCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { videoFixture } from '../../fixtures/videos.ts';
import { costFromHistory } from '../../shared/job-cost.ts';
import { keys } from '../../shared/keys.ts';
import { executionArnFor } from '../../shared/workflow.ts';
import { historyOf, keysUnder, putUpload, startTestStack, waitForManifest, type TestStack } from '../support/pipeline-harness.ts';

const CHUNKING = { CHUNK_SECONDS: '1', SEGMENT_SECONDS: '1', GOP_SECONDS: '1', X264_PRESET: 'ultrafast' };
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stackIn(stateDir: string): Promise<TestStack> {
  const harness = await startTestStack({ storage: 'minio', stateDir, concurrency: 1, functionEnvironment: { splitter: CHUNKING } });
  cleanups.push(() => harness.stop());
  return harness;
}

/** Uploads a video and stops its execution once the fan-out is under way. */
async function stoppedMidJob(harness: TestStack): Promise<string> {
  const { jobId } = await putUpload(harness.stack, await videoFixture('h264.mp4'), 'stopped/clip.mp4');
  const executionArn = executionArnFor(harness.stack.deployment.stateMachine.arn, jobId);
  for (let tries = 0; ; tries++) {
    const described = await harness.stack.sfn.send(new DescribeExecutionCommand({ executionArn })).catch(() => undefined);
    if (described?.status === 'RUNNING') break;
    if (tries > 600) throw new Error('the execution never started');
    await sleep(50);
  }
  await harness.stack.sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by the test' }));
  return jobId;
}

describe('an execution that ends before its assembler', () => {
  it('gets a failed manifest from the finalizer, leaves no partial renditions, and its work bucket expires what a task running on wrote', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'fanout-unfinished-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const harness = await stackIn(stateDir);

    const jobId = await stoppedMidJob(harness);
    const manifest = await waitForManifest(harness.stack, jobId);

    expect(manifest).toMatchObject({ status: 'failed', error: { code: 'INTERNAL' }, renditions: [] });
    expect(manifest.error?.message).toMatch(/stopped/);
    // What it cost so far, read from the real history: the split was invoked (and billed) even though it never returned.
    expect(manifest.cost).toEqual(costFromHistory(await historyOf(harness.stack, jobId), 'local'));
    expect(manifest.cost).toMatchObject({ basis: 'modelled' });
    expect(manifest.cost!.lambda.invocations).toBeGreaterThanOrEqual(1);
    expect(manifest.cost!.stepFunctions.transitions).toBeGreaterThanOrEqual(1);
    await harness.stack.idle();
    expect(await keysUnder(harness.stack, jobId)).toEqual([keys.manifest(jobId)]);
    // A task still running when its execution stopped (its Lambda runs on, on AWS too) may
    // write work objects after the finalizer's clean-up: the work bucket's lifecycle rule,
    // applied from the template on both hosts, expires them.
    const lifecycle = await harness.stack.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: harness.stack.deployment.buckets.work }));
    expect(lifecycle.Rules).toContainEqual(expect.objectContaining({ Status: 'Enabled', Expiration: expect.objectContaining({ Days: 2 }) }));
  }, 120_000);

  it('is finalized by the reconcile pass at the next start when its end found nothing to write with', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'fanout-unfinished-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const first = await stackIn(stateDir);
    const jobId = await stoppedMidJob(first);
    await waitForManifest(first.stack, jobId);
    await first.stack.idle();
    // As if the finalizer had met dead storage: the execution ended, and no manifest exists.
    await first.stack.s3.send(new DeleteObjectCommand({ Bucket: first.stack.deployment.buckets.renditions, Key: keys.manifest(jobId) }));
    await first.stop();
    cleanups.pop();

    const second = await stackIn(stateDir);
    expect(second.stack.finalized).toEqual([jobId]);
    expect(second.stack.reconciled).toEqual([]);
    expect(await waitForManifest(second.stack, jobId)).toMatchObject({ status: 'failed', error: { code: 'INTERNAL' } });
  }, 180_000);
});
