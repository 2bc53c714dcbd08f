import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExecutionJournal } from '../../infra/local/step-functions/execution-journal.ts';
import { ExecutionRegistry, type ExecutionRegistryOptions } from '../../infra/local/step-functions/execution-registry.ts';
import { prepareStateMachine } from '../../infra/local/step-functions/prepare-state-machine.ts';

const ARN = 'arn:aws:states:us-east-1:0:stateMachine:m';
const machine = prepareStateMachine(
  {
    arn: ARN,
    name: 'm',
    definition: {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { StartAt: 'Echo', States: { Echo: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:0:function:echo', End: true } } },
          End: true,
        },
      },
    },
  },
  0,
);
const executionArn = (name: string) => `arn:aws:states:us-east-1:0:execution:m:${name}`;

async function openRegistry(options: Partial<ExecutionRegistryOptions> = {}): Promise<ExecutionRegistry> {
  return ExecutionRegistry.open({ stateMachines: [machine], invokeTask: async (_, input) => input, ...options });
}

async function runAll(registry: ExecutionRegistry, names: string[], items: number[] = [1]): Promise<void> {
  for (const name of names) registry.start({ stateMachineArn: ARN, name, input: JSON.stringify({ items }) });
  await registry.idle();
}

async function errorNameOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'no error',
    (error: unknown) => (error instanceof Error ? error.name : 'not an Error'),
  );
}

describe('ExecutionRegistry memory bounds', () => {
  let directory: string | undefined;
  afterEach(() => {
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
    directory = undefined;
  });

  it('without a journal, forgets the oldest finished executions past retainFinished, freeing their names', async () => {
    const registry = await openRegistry({ retainFinished: 2 });

    await runAll(registry, ['a', 'b', 'c']);

    expect(await errorNameOf(registry.describe(executionArn('a')))).toBe('ExecutionDoesNotExist');
    expect((await registry.describe(executionArn('c'))).status).toBe('SUCCEEDED');
    expect(registry.list({ stateMachineArn: ARN }).items.map((record) => record.name)).toEqual(['c', 'b']);
    expect(() => registry.start({ stateMachineArn: ARN, name: 'a', input: '{"items":[]}' })).not.toThrow();
    await registry.idle();
  });

  it('with a journal, keeps dropped executions findable, listed and their names taken', async () => {
    directory = mkdtempSync(join(tmpdir(), 'fanout-registry-'));
    const registry = await openRegistry({ retainFinished: 1, journal: new ExecutionJournal(join(directory, 'journal.jsonl')) });

    await runAll(registry, ['a', 'b']);

    expect(registry.list({ stateMachineArn: ARN }).items.map((record) => record.name)).toEqual(['b', 'a']);
    expect(await registry.describe(executionArn('a'))).toMatchObject({ status: 'SUCCEEDED', output: '[1]' });
    expect(() => registry.start({ stateMachineArn: ARN, name: 'a', input: '{"items":[1]}' })).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));
  });

  it('caps a history at maxHistoryEvents but always keeps the terminal event', async () => {
    const registry = await openRegistry({ maxHistoryEvents: 5 });

    await runAll(registry, ['big'], [1, 2, 3, 4, 5, 6]);

    const history = await registry.history({ executionArn: executionArn('big'), maxResults: 1000 });
    expect(history.items).toHaveLength(6);
    expect(history.items.at(-1)).toMatchObject({ id: 6, type: 'ExecutionSucceeded' });
  });
});

describe('ExecutionRegistry status changes', () => {
  it('announces each start once (RUNNING, before its end), not again for an idempotent repeat of the same start', async () => {
    const told: string[] = [];
    const registry = await openRegistry({
      onExecutionStarted: (execution) => told.push(`${execution.status} ${execution.name} ${execution.input}`),
      onExecutionEnded: (entry) => told.push(`${entry.status} ${entry.name}`),
    });
    const input = JSON.stringify({ items: [1] });

    registry.start({ stateMachineArn: ARN, name: 'a', input });
    registry.start({ stateMachineArn: ARN, name: 'a', input });
    await registry.idle();

    expect(told).toEqual([`RUNNING a ${input}`, 'SUCCEEDED a']);
  });
});
