/**
 * A job's cost on the local stack (real MinIO, real workers, the CDK-synthesized state machine):
 * every manifest the assembler writes carries it, `modelled`; it counts the invocations the job
 * made; its state transitions are the states the execution really entered (GetExecutionHistory);
 * and `fanout status` prints it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageFixture } from '../../fixtures/images.ts';
import { videoFixture } from '../../fixtures/videos.ts';
import { describeCost } from '../../infra/cli/job-report.ts';
import { connectionOf, writeConnection } from '../../infra/cli/stack-connection.ts';
import { costFromHistory } from '../../shared/job-cost.ts';
import { historyOf, putUpload, startTestStack, waitForManifest, type TestStack } from '../support/pipeline-harness.ts';
import { runFanout } from '../support/run-fanout.ts';

/** The functions the state machine invokes for a job; the starter and the finalizer are not counted (docs/outputs.md). */
const JOB_FUNCTIONS = ['splitter', 'encoder', 'image-resize', 'assembler'];

let harness: TestStack;
beforeAll(async () => {
  harness = await startTestStack({ storage: 'minio' });
  // What `fanout dev` records, so the CLI below reaches this stack.
  await writeConnection(harness.stateDir, connectionOf(harness.stack));
}, 120_000);
afterAll(async () => harness?.stop());

function jobInvocations(): number {
  const stats = harness.stack.functionStats();
  return JOB_FUNCTIONS.reduce((sum, name) => sum + (stats[name]?.invocations ?? 0), 0);
}

describe('the cost of a job on the local stack', () => {
  it.each([
    { case: 'a video', file: () => videoFixture('h264.mp4'), key: 'cost/h264.mp4', status: 'succeeded' },
    { case: 'an image', file: () => imageFixture('small.png'), key: 'cost/small.png', status: 'succeeded' },
    { case: 'a rejected upload', file: () => imageFixture('not-an-image.jpg'), key: 'cost/not-an-image.jpg', status: 'rejected' },
  ])('$case: modelled, every invocation and every state entered counted, and shown by `fanout status`', async ({ file, key, status }) => {
    const before = jobInvocations();
    const { jobId } = await putUpload(harness.stack, await file(), key);
    const manifest = await waitForManifest(harness.stack, jobId, 120_000);
    // The assembler returns after the manifest is written: wait for the execution to end.
    await harness.stack.idle();

    expect(manifest.status).toBe(status);
    const cost = manifest.cost!;
    expect(cost).toMatchObject({ currency: 'USD', basis: 'modelled', prices: { region: 'us-east-1' } });
    expect(cost.lambda.invocations).toBe(jobInvocations() - before);
    // Each duration at the memory its function runs with: the template's sizes, as the workers' contexts report them.
    const memory = (name: string) => harness.stack.deployment.functions.find((fn) => fn.name === name)!.memoryMiB / 1024;
    const { splitMs, assembleMs, steps } = manifest.timings;
    const taskGbSeconds = steps.reduce((sum, step) => sum + step.attempts * Math.ceil(step.ms) * memory(step.step === 'resize' ? 'image-resize' : 'encoder'), 0);
    expect(cost.lambda.gbSeconds).toBeCloseTo((splitMs * memory('splitter') + taskGbSeconds + assembleMs * memory('assembler')) / 1000, 5);
    expect(cost.totalUsd).toBeCloseTo(cost.lambda.usd + cost.stepFunctions.usd, 12);

    // AWS bills a transition per state entered, and one per retry (which enters no state again).
    const history = await historyOf(harness.stack, jobId);
    const entered = history.filter((event) => event.type?.endsWith('StateEntered')).length;
    const retries = manifest.timings.steps.reduce((sum, step) => sum + step.attempts - 1, 0);
    expect(cost.stepFunctions.transitions).toBe(entered + retries);
    expect(entered).toBeGreaterThanOrEqual(status === 'succeeded' ? 10 : 5);
    // What the finalizer can read of the same execution: everything but the assembler's own invocation.
    const fromHistory = costFromHistory(history, 'local');
    expect(fromHistory.stepFunctions).toEqual(cost.stepFunctions);
    expect(fromHistory.lambda.invocations).toBe(cost.lambda.invocations - 1);

    const shown = await runFanout(['status', jobId], { FANOUT_STATE_DIR: harness.stateDir });
    expect(shown.stdout).toContain(`  cost        ${describeCost(cost)}\n`);
    expect(shown.stdout).toMatch(/cost {8}\$\d+\.\d{6} \(modelled at us-east-1 list prices: /);
  });
});
