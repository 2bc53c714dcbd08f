/**
 * What `fanout upload` and `fanout process` wait on: watchJob returns the manifest when there is
 * one, and gives up, with the execution's error, when the execution ended and no manifest came
 * even from the finalizer (here: one started by hand with an input neither the pipeline nor the
 * finalizer takes as a job), after the finalizer's grace, not at its 30-minute deadline.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchJob } from '../../infra/cli/watch-job.ts';
import { rejectionOf } from '../support/rejection-of.ts';
import { startTestStack, type TestStack } from '../support/pipeline-harness.ts';

let harness: TestStack;
beforeAll(async () => {
  harness = await startTestStack({ storage: 'embedded' });
});
afterAll(async () => {
  await harness?.stop();
});

describe('watchJob', () => {
  it('stops soon after the execution fails without a manifest, and says why', async () => {
    const { stack } = harness;
    const jobId = 'hand-started-0123456789abcdef0123';
    await stack.sfn.send(new StartExecutionCommand({ stateMachineArn: stack.deployment.stateMachine.arn, name: jobId, input: JSON.stringify({ jobId, outcome: 'rejected' }) }));

    const started = Date.now();
    const error = await rejectionOf(
      watchJob({ s3: stack.s3, sfn: stack.sfn, renditionsBucket: stack.deployment.buckets.renditions, stateMachineArn: stack.deployment.stateMachine.arn, jobId, timeoutMs: 120_000, pollMs: 100, finalizerGraceMs: 5_000 }),
    );

    expect(String(error)).toMatch(new RegExp(`job ${jobId}: its execution ended FAILED without a manifest: .*INTERNAL: the assembler's input does not match its contract`));
    // Not a performance figure: without the fix it waits out the whole 120 s timeout. (The grace is
    // shortened here; the default, FINALIZER_GRACE_MS, is longer for a busy machine.)
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 150_000);
});
