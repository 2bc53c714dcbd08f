/**
 * What EventBridge does for the pipeline on AWS, on the local host: when an execution starts or
 * ends, the "Step Functions Execution Status Change" event goes to each function whose rule
 * (read from the synthesized template) matches its status, invoked the asynchronous way: two
 * retries with backoff. A failure after those is reported; for an end, the reconcile pass
 * finalizes the job at the next start, which is the local stand-in for the dead-letter queue.
 */
import pRetry from 'p-retry';
import type { FunctionHost } from './function-host.ts';
import type { ExecutionEndRule } from './local-deployment.ts';
import type { JournalEntry, StartedExecution } from './step-functions/server.ts';

/** An execution that started (RUNNING) or ended. */
export type ExecutionStatusEvent = JournalEntry | StartedExecution;
export type DeliverExecutionEnd = (execution: ExecutionStatusEvent) => Promise<void>;

export function executionEndDelivery({ host, rules, region, onError }: { host: () => Pick<FunctionHost, 'invoke'>; rules: ExecutionEndRule[]; region: string; onError?: (error: unknown) => void }): DeliverExecutionEnd {
  return async (execution) => {
    const targets = rules.filter((rule) => rule.statuses.includes(execution.status));
    const event = executionStatusChange(execution, region);
    await Promise.all(
      targets.map(async (rule) => {
        try {
          await pRetry(() => host().invoke(rule.functionArn, event), { retries: 2, minTimeout: 1000, factor: 2 });
        } catch (error) {
          onError?.(error);
          throw error;
        }
      }),
    );
  };
}

/** The event as EventBridge delivers it to a Lambda target. */
export function executionStatusChange(execution: ExecutionStatusEvent, region: string) {
  const ended = execution.status === 'RUNNING' ? undefined : execution;
  const account = execution.stateMachineArn.split(':')[4] ?? '';
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account,
    time: new Date(ended?.stopDate ?? execution.startDate).toISOString(),
    region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      stopDate: ended?.stopDate ?? null,
      input: execution.input,
      inputDetails: { included: true },
      output: ended?.output ?? null,
      outputDetails: { included: ended?.output !== undefined },
      error: ended?.error ?? null,
      cause: ended?.cause ?? null,
    },
  };
}
