import { describe, expect, it } from 'vitest';
import { executionEndDelivery } from '../../infra/local/execution-end-delivery.ts';
import type { FunctionHost } from '../../infra/local/function-host.ts';
import type { JournalEntry } from '../../infra/local/step-functions/server.ts';

const FINALIZER = 'arn:aws:lambda:us-east-1:000000000000:function:fanout-finalizer';
const ended = (status: JournalEntry['status']): JournalEntry => ({
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-pipeline:job-1',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:fanout-pipeline',
  name: 'job-1',
  status,
  startDate: 1_000,
  stopDate: 2_000,
  input: '{"jobId":"job-1"}',
  error: 'States.Timeout',
});

/** A function host whose invocations fail `failures` times, then succeed; it records every event. */
function hostFailing(failures: number): { host: Pick<FunctionHost, 'invoke'>; events: unknown[] } {
  const events: unknown[] = [];
  const host = {
    invoke: async (_arn: string, event: unknown) => {
      events.push(event);
      if (events.length <= failures) throw new Error('the finalizer crashed');
      return {};
    },
  };
  return { host, events };
}

describe('executionEndDelivery', () => {
  it("sends EventBridge's status-change event to the rule's function, for the statuses the rule names only", async () => {
    const { host, events } = hostFailing(0);
    const deliver = executionEndDelivery({ host: () => host, rules: [{ statuses: ['FAILED', 'TIMED_OUT', 'ABORTED'], functionArn: FINALIZER }], region: 'us-east-1' });

    await deliver(ended('SUCCEEDED'));
    await deliver(ended('TIMED_OUT'));

    expect(events).toEqual([
      expect.objectContaining({
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: expect.objectContaining({ name: 'job-1', status: 'TIMED_OUT', input: '{"jobId":"job-1"}', error: 'States.Timeout', stopDate: 2_000 }),
      }),
    ]);
  });

  it("sends an execution's start (RUNNING) to a rule that names it, as EventBridge does", async () => {
    const { host, events } = hostFailing(0);
    const deliver = executionEndDelivery({ host: () => host, rules: [{ statuses: ['RUNNING', 'FAILED'], functionArn: FINALIZER }], region: 'us-east-1' });
    const { stopDate: _, error: __, ...started } = ended('FAILED');

    await deliver({ ...started, status: 'RUNNING' });

    expect(events).toEqual([
      expect.objectContaining({
        time: new Date(1_000).toISOString(),
        detail: expect.objectContaining({ name: 'job-1', status: 'RUNNING', startDate: 1_000, stopDate: null, input: '{"jobId":"job-1"}', error: null }),
      }),
    ]);
  });

  it('retries twice, as an asynchronous invocation does, then reports the failure', async () => {
    const rules = [{ statuses: ['FAILED'], functionArn: FINALIZER }];
    const flaky = hostFailing(2);
    await executionEndDelivery({ host: () => flaky.host, rules, region: 'us-east-1' })(ended('FAILED'));
    expect(flaky.events).toHaveLength(3);

    const broken = hostFailing(3);
    const errors: unknown[] = [];
    await expect(executionEndDelivery({ host: () => broken.host, rules, region: 'us-east-1', onError: (error) => errors.push(error) })(ended('FAILED'))).rejects.toThrow('the finalizer crashed');
    expect(broken.events).toHaveLength(3);
    expect(errors).toHaveLength(1);
  }, 20_000);
});
