/**
 * The local Step Functions endpoint, driven only through @aws-sdk/client-sfn, as the splitter
 * and the local host drive it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListActivitiesCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startStepFunctionsServer, type LocalStateMachine, type StepFunctionsServer, type TaskInvoker } from '../../infra/local/step-functions/server.ts';

const FUNCTION = 'arn:aws:lambda:us-east-1:000000000000:function';
const SQUARE = `${FUNCTION}:square`;
const FLAKY = `${FUNCTION}:flaky`;
const EXPLODE = `${FUNCTION}:explode`;
const MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:test-pipeline';
const DISTRIBUTED_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:test-distributed';
const UNSUPPORTED_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:test-item-reader';
const MAP_CONCURRENCY = 2;

/** Test data: the shapes the pipeline uses (Choice, Map with a Task, Retry and Catch), without Waits. */
const pipelineDefinition = {
  StartAt: 'Route',
  States: {
    Route: {
      Type: 'Choice',
      // A Choice on a missing field is a States.Runtime error, on AWS too: test presence first.
      Choices: [
        { And: [{ Variable: '$.mode', IsPresent: true }, { Variable: '$.mode', StringEquals: 'map' }], Next: 'FanOut' },
        { And: [{ Variable: '$.mode', IsPresent: true }, { Variable: '$.mode', StringEquals: 'explode' }], Next: 'Explode' },
      ],
      Default: 'Flaky',
    },
    FanOut: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: MAP_CONCURRENCY,
      ItemSelector: { 'value.$': '$$.Map.Item.Value', 'execution.$': '$$.Execution.Name' },
      ItemProcessor: { StartAt: 'Square', States: { Square: { Type: 'Task', Resource: SQUARE, End: true } } },
      ResultPath: '$.results',
      End: true,
    },
    Flaky: {
      Type: 'Task',
      Resource: FLAKY,
      Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 2 }],
      Catch: [{ ErrorEquals: ['InputRejected'], ResultPath: '$.rejection', Next: 'Rejected' }],
      ResultPath: '$.flaky',
      End: true,
    },
    Rejected: { Type: 'Pass', End: true },
    Explode: { Type: 'Task', Resource: EXPLODE, End: true },
  },
};

/** A Distributed Map as the CDK writes one, with fields the library's validator or runtime lack. */
const distributedDefinition = {
  StartAt: 'Chunks',
  States: {
    Chunks: {
      Type: 'Map',
      Label: 'Chunks',
      ItemsPath: '$.items',
      MaxConcurrency: MAP_CONCURRENCY,
      ToleratedFailurePercentage: 0,
      ItemSelector: { 'value.$': '$$.Map.Item.Value' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED' },
        StartAt: 'Square',
        States: { Square: { Type: 'Task', Resource: SQUARE, End: true } },
      },
      End: true,
    },
  },
};

const itemReaderDefinition = {
  StartAt: 'FromS3',
  States: {
    FromS3: {
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'b', Key: 'k' } },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Square', States: { Square: { Type: 'Task', Resource: SQUARE, End: true } } },
      End: true,
    },
  },
};

const stateMachines: LocalStateMachine[] = [
  { arn: MACHINE_ARN, name: 'test-pipeline', definition: pipelineDefinition },
  { arn: DISTRIBUTED_ARN, name: 'test-distributed', definition: distributedDefinition },
  { arn: UNSUPPORTED_ARN, name: 'test-item-reader', definition: itemReaderDefinition },
];

const SquareInput = z.object({ value: z.number(), execution: z.string().optional() });
const FlakyInput = z.object({ id: z.string(), behaviour: z.enum(['ok', 'transient-once', 'rejected', 'hold']) });

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A fake set of functions that counts what it is asked to do. */
class FakeFunctions {
  attempts = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;
  squared: Array<z.infer<typeof SquareInput>> = [];
  private held = Promise.withResolvers<void>();

  readonly invokeTask: TaskInvoker = async (resource, input, { onStart }) => {
    // In process, with no queue: each call starts at once.
    onStart(Date.now());
    if (resource === SQUARE) {
      const item = SquareInput.parse(input);
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      await new Promise((resolve) => setTimeout(resolve, 25));
      this.inFlight--;
      this.squared.push(item);
      return { square: item.value * item.value };
    }
    if (resource === FLAKY) {
      const { id, behaviour } = FlakyInput.parse(input);
      const attempt = (this.attempts.get(id) ?? 0) + 1;
      this.attempts.set(id, attempt);
      if (behaviour === 'transient-once' && attempt === 1) throw namedError('TransientError', 'STORAGE_UNAVAILABLE: try again');
      if (behaviour === 'rejected') throw namedError('InputRejected', 'CORRUPT_INPUT: not an image');
      if (behaviour === 'hold') await this.held.promise;
      return { attempt };
    }
    if (resource === EXPLODE) throw namedError('InternalError', 'INTERNAL: the encoder lost its mind');
    throw new Error(`unexpected resource ${resource}`);
  };

  /** Lets every `hold` invocation finish. */
  release(): void {
    this.held.resolve();
    this.held = Promise.withResolvers<void>();
  }
}

function clientFor(endpoint: string): SFNClient {
  return new SFNClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function waitUntilFinished(client: SFNClient, executionArn: string): Promise<DescribeExecutionOutput> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function fullHistory(client: SFNClient, executionArn: string, maxResults?: number): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return events;
}

describe('local Step Functions endpoint', () => {
  const functions = new FakeFunctions();
  let server: StepFunctionsServer;
  let client: SFNClient;

  beforeAll(async () => {
    server = await startStepFunctionsServer({ stateMachines, invokeTask: functions.invokeTask });
    client = clientFor(server.endpoint);
  });

  afterEach(() => functions.release());

  afterAll(async () => {
    functions.release();
    await server.idle();
    await server.close();
    client.destroy();
  });

  async function run(name: string, input: object): Promise<DescribeExecutionOutput> {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name, input: JSON.stringify(input) }));
    return waitUntilFinished(client, executionArn ?? '');
  }

  it('runs an execution to SUCCEEDED and describes it', async () => {
    const started = await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'plain', input: '{"id":"plain","behaviour":"ok"}' }));

    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:test-pipeline:plain');
    expect(started.startDate).toBeInstanceOf(Date);
    const execution = await waitUntilFinished(client, started.executionArn ?? '');
    expect(execution).toMatchObject({ status: 'SUCCEEDED', name: 'plain', stateMachineArn: MACHINE_ARN, input: '{"id":"plain","behaviour":"ok"}' });
    expect(JSON.parse(execution.output ?? '')).toEqual({ id: 'plain', behaviour: 'ok', flaky: { attempt: 1 } });
    expect(execution.stopDate?.getTime()).toBeGreaterThanOrEqual(execution.startDate?.getTime() ?? Infinity);
  });

  it('maps every item with at most MaxConcurrency in flight, and passes $$.Execution.Name', async () => {
    functions.maxInFlight = 0;
    functions.squared = [];

    const execution = await run('fan-out', { mode: 'map', items: [1, 2, 3, 4, 5, 6] });

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '').results).toEqual([1, 4, 9, 16, 25, 36].map((square) => ({ square })));
    expect(functions.maxInFlight).toBe(MAP_CONCURRENCY);
    expect(functions.squared.map((item) => item.execution)).toEqual(Array(6).fill('fan-out'));
  });

  it('retries a TransientError and succeeds on the second attempt', async () => {
    const execution = await run('transient', { id: 'transient', behaviour: 'transient-once' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(functions.attempts.get('transient')).toBe(2);
    expect(JSON.parse(execution.output ?? '').flaky).toEqual({ attempt: 2 });
  });

  it('records every attempt of a retried task as AWS does: TaskScheduled, TaskStarted, then TaskFailed or TaskSucceeded, with their times', async () => {
    const execution = await run('attempts', { id: 'attempts', behaviour: 'transient-once' });

    const history = await fullHistory(client, execution.executionArn ?? '');
    const taskEvents = history.filter((event) => /^Task(Scheduled|Started|Succeeded|Failed)$/.test(event.type ?? ''));
    expect(taskEvents.map((event) => event.type)).toEqual(['TaskScheduled', 'TaskStarted', 'TaskFailed', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded']);
    expect(taskEvents[0]?.taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: FLAKY });
    expect(taskEvents[1]?.taskStartedEventDetails).toEqual({ resourceType: 'lambda', resource: FLAKY });
    expect(taskEvents[2]?.taskFailedEventDetails).toMatchObject({ error: 'TransientError', resource: FLAKY });
    expect(taskEvents[5]?.taskSucceededEventDetails).toMatchObject({ resourceType: 'lambda', resource: FLAKY });
    // Real times: the retry waits its IntervalSeconds (1 s) between the failure and the next attempt.
    const times = taskEvents.map((event) => event.timestamp?.getTime() ?? Number.NaN);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect((times[3] ?? 0) - (times[2] ?? 0)).toBeGreaterThanOrEqual(900);
    const entered = history.find((event) => event.type === 'TaskStateEntered');
    const exited = history.find((event) => event.type === 'TaskStateExited');
    expect(times[0]).toBeGreaterThanOrEqual(entered?.timestamp?.getTime() ?? Infinity);
    expect(times[5]).toBeLessThanOrEqual(exited?.timestamp?.getTime() ?? 0);
    // Each event follows the one before it in its own thread, as on AWS.
    expect(taskEvents.map((event) => event.previousEventId)).toEqual([entered?.id, ...taskEvents.slice(0, -1).map((event) => event.id)]);
  });

  it('chains each Map iteration\'s events to its MapIterationStarted, so concurrent iterations can be told apart', async () => {
    const execution = await run('threads', { mode: 'map', items: [1, 2, 3, 4] });

    const history = await fullHistory(client, execution.executionArn ?? '');
    const byId = new Map(history.map((event) => [event.id, event]));
    const iterationOf = (event: HistoryEvent): number | undefined => {
      for (let at: HistoryEvent | undefined = event; at; at = byId.get(at.previousEventId)) {
        if (at.type === 'MapIterationStarted') return at.mapIterationStartedEventDetails?.index;
      }
      return undefined;
    };
    const succeeded = history.filter((event) => event.type === 'TaskSucceeded');
    expect(succeeded).toHaveLength(4);
    expect(succeeded.map(iterationOf).sort()).toEqual([0, 1, 2, 3]);
    expect(history.filter((event) => event.type === 'TaskSucceeded' || event.type === 'TaskFailed').every((event) => (event.previousEventId ?? 0) < (event.id ?? 0))).toBe(true);
  });

  it('catches InputRejected without retrying it', async () => {
    const execution = await run('rejected', { id: 'rejected', behaviour: 'rejected' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(functions.attempts.get('rejected')).toBe(1);
    expect(JSON.parse(execution.output ?? '').rejection).toEqual({ Error: 'InputRejected', Cause: 'CORRUPT_INPUT: not an image' });
  });

  it('fails the execution with the error and cause of an uncaught task error', async () => {
    const execution = await run('explode', { mode: 'explode' });

    expect(execution).toMatchObject({ status: 'FAILED', error: 'InternalError', cause: 'INTERNAL: the encoder lost its mind' });
    const history = await fullHistory(client, execution.executionArn ?? '');
    expect(history.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({ error: 'InternalError', resource: EXPLODE });
    expect(history.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'InternalError', cause: 'INTERNAL: the encoder lost its mind' },
    });
  });

  it('answers a running duplicate with the same input idempotently, and refuses a different input', async () => {
    const input = '{"id":"held","behaviour":"hold"}';
    const first = await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'held', input }));

    const again = await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'held', input }));
    const different = await errorOf(client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'held', input: '{"id":"other","behaviour":"ok"}' })));

    expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
    expect(different.name).toBe('ExecutionAlreadyExists');
    functions.release();
    await waitUntilFinished(client, first.executionArn ?? '');
    const afterFinish = await errorOf(client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'held', input })));
    expect(afterFinish.name).toBe('ExecutionAlreadyExists');
  });

  it('rejects an input over 256 KiB, invalid JSON and an invalid name', async () => {
    const oversized = JSON.stringify({ blob: 'x'.repeat(256 * 1024) });

    const tooLarge = await errorOf(client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: oversized })));
    const notJson = await errorOf(client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: '{nope' })));
    const badName = await errorOf(client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'has space', input: '{}' })));
    const noMachine = await errorOf(client.send(new StartExecutionCommand({ stateMachineArn: `${MACHINE_ARN}-missing`, input: '{}' })));

    expect(tooLarge.name).toBe('InvalidExecutionInput');
    expect(notJson.name).toBe('InvalidExecutionInput');
    expect(badName.name).toBe('InvalidName');
    expect(noMachine.name).toBe('StateMachineDoesNotExist');
  });

  it('lists executions by status, and stops a running one', async () => {
    const running = await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'listed-running', input: '{"id":"lr","behaviour":"hold"}' }));
    const finished = await run('listed-finished', { id: 'lf', behaviour: 'ok' });

    const runningList = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, statusFilter: 'RUNNING' }));
    const succeededList = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, statusFilter: 'SUCCEEDED' }));
    const firstPage = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, maxResults: 1 }));

    expect(runningList.executions?.map((execution) => execution.name)).toEqual(['listed-running']);
    expect(succeededList.executions?.map((execution) => execution.name)).toContain('listed-finished');
    expect(succeededList.executions?.map((execution) => execution.name)).not.toContain('listed-running');
    expect(firstPage.executions?.map((execution) => execution.executionArn)).toEqual([finished.executionArn]);
    expect(firstPage.nextToken).toBeDefined();

    const stopped = await client.send(new StopExecutionCommand({ executionArn: running.executionArn, error: 'Cancelled', cause: 'by the test' }));
    const described = await client.send(new DescribeExecutionCommand({ executionArn: running.executionArn }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by the test' });
  });

  it('returns an AWS-shaped history, paged forwards and backwards', async () => {
    const execution = await run('history', { mode: 'map', items: [3, 4] });

    const events = await fullHistory(client, execution.executionArn ?? '', 3);
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toEqual(expect.arrayContaining(['ChoiceStateEntered', 'MapStateEntered', 'MapIterationStarted', 'TaskStateEntered', 'TaskStateExited', 'MapStateExited']));
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]?.executionStartedEventDetails?.input).toBe(execution.input);
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
    expect(events.filter((event) => event.type === 'MapIterationStarted').map((event) => event.mapIterationStartedEventDetails)).toEqual(
      expect.arrayContaining([{ name: 'FanOut', index: 0 }, { name: 'FanOut', index: 1 }]),
    );
    expect(events.find((event) => event.type === 'TaskStateEntered')?.stateEnteredEventDetails?.name).toBe('Square');
    expect(JSON.parse(events.at(-1)?.executionSucceededEventDetails?.output ?? '')).toEqual(JSON.parse(execution.output ?? ''));

    const newest = await client.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, reverseOrder: true, maxResults: 2 }));
    expect(newest.events?.map((event) => event.id)).toEqual([events.length, events.length - 1]);
  });

  it('runs a Distributed Map inline and fails, without crashing, what it cannot run', async () => {
    functions.maxInFlight = 0;
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: DISTRIBUTED_ARN, input: '{"items":[1,2,3,4,5]}' }));
    const unsupported = await client.send(new StartExecutionCommand({ stateMachineArn: UNSUPPORTED_ARN, input: '{}' }));

    const distributed = await waitUntilFinished(client, executionArn ?? '');
    expect(distributed.status).toBe('SUCCEEDED');
    expect(JSON.parse(distributed.output ?? '')).toEqual([1, 4, 9, 16, 25].map((square) => ({ square })));
    expect(functions.maxInFlight).toBe(MAP_CONCURRENCY);
    const failed = await waitUntilFinished(client, unsupported.executionArn ?? '');
    expect(failed).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(failed.cause).toContain('ItemReader');
  });

  it('describes and lists its state machines', async () => {
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: MACHINE_ARN }));
    const listed = await client.send(new ListStateMachinesCommand({}));

    expect(described).toMatchObject({ name: 'test-pipeline', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(described.definition ?? '')).toEqual(pipelineDefinition);
    expect(listed.stateMachines?.map((machine) => machine.stateMachineArn)).toEqual([MACHINE_ARN, DISTRIBUTED_ARN, UNSUPPORTED_ARN]);
  });

  it('answers unknown executions and operations with the AWS error names', async () => {
    const unknownExecution = await errorOf(client.send(new DescribeExecutionCommand({ executionArn: `${MACHINE_ARN.replace(':stateMachine:', ':execution:')}:nobody` })));
    const unknownHistory = await errorOf(client.send(new GetExecutionHistoryCommand({ executionArn: `${MACHINE_ARN.replace(':stateMachine:', ':execution:')}:nobody` })));
    const malformed = await errorOf(client.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })));
    const unknownOperation = await errorOf(client.send(new ListActivitiesCommand({})));

    expect(unknownExecution.name).toBe('ExecutionDoesNotExist');
    expect(unknownHistory.name).toBe('ExecutionDoesNotExist');
    expect(malformed.name).toBe('InvalidArn');
    expect(unknownOperation.name).toBe('UnknownOperationException');
  });
});

describe('local Step Functions journal', () => {
  const directory = mkdtempSync(join(tmpdir(), 'fanout-sfn-journal-'));
  const journalFile = join(directory, 'executions.jsonl');
  const functions = new FakeFunctions();

  afterAll(() => {
    functions.release();
    rmSync(directory, { recursive: true, force: true });
  });

  it('keeps finished executions across a restart, and frees the names of the ones that were running', async () => {
    const first = await startStepFunctionsServer({ stateMachines, invokeTask: functions.invokeTask, journalFile });
    const firstClient = clientFor(first.endpoint);
    const done = await firstClient.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'journaled', input: '{"id":"j","behaviour":"ok"}' }));
    const finished = await waitUntilFinished(firstClient, done.executionArn ?? '');
    const lost = await firstClient.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'lost', input: '{"id":"lost","behaviour":"hold"}' }));
    await first.close();
    firstClient.destroy();

    const second = await startStepFunctionsServer({ stateMachines, invokeTask: functions.invokeTask, journalFile });
    const client = clientFor(second.endpoint);
    try {
      const described = await client.send(new DescribeExecutionCommand({ executionArn: done.executionArn }));
      const duplicate = await errorOf(client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'journaled', input: '{"id":"j","behaviour":"ok"}' })));
      const history = await fullHistory(client, done.executionArn ?? '');
      const rerun = await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'lost', input: '{"id":"lost","behaviour":"ok"}' }));

      expect(described).toMatchObject({ status: 'SUCCEEDED', output: finished.output, input: finished.input });
      expect(described.stopDate).toEqual(finished.stopDate);
      expect(duplicate.name).toBe('ExecutionAlreadyExists');
      expect(history.map((event) => event.type)).toEqual(['ExecutionStarted', 'ExecutionSucceeded']);
      expect(rerun.executionArn).toBe(lost.executionArn);
      expect((await waitUntilFinished(client, rerun.executionArn ?? '')).status).toBe('SUCCEEDED');
    } finally {
      functions.release();
      await second.idle();
      await second.close();
      client.destroy();
    }
  });
});

describe('local Step Functions listing across a restart', () => {
  const directory = mkdtempSync(join(tmpdir(), 'fanout-sfn-listing-'));
  const journalFile = join(directory, 'executions.jsonl');
  const functions = new FakeFunctions();
  const HOUR = 3600_000;
  /** More journaled executions than the endpoint keeps in memory (1000), all older than this test's own. */
  const OLD = 1100;
  const oldName = (index: number) => `old-${String(index).padStart(4, '0')}`;

  afterAll(() => {
    functions.release();
    rmSync(directory, { recursive: true, force: true });
  });

  async function listAll(client: SFNClient, request: { statusFilter?: 'RUNNING' | 'SUCCEEDED' | 'FAILED'; maxResults: number }): Promise<{ names: string[]; pages: number }> {
    const names: string[] = [];
    let pages = 0;
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, ...request, nextToken }));
      expect((page.executions ?? []).length).toBeLessThanOrEqual(request.maxResults);
      names.push(...(page.executions ?? []).map((execution) => execution.name ?? ''));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken !== undefined);
    return { names, pages };
  }

  it('lists every execution, journaled or in memory, newest start first, paged and filtered', async () => {
    // Arrange: a journal from earlier runs, written as the endpoint writes it (one line per finished execution).
    const now = Date.now();
    const line = (name: string, startDate: number, status: 'SUCCEEDED' | 'FAILED') =>
      `${JSON.stringify({ executionArn: `${MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`, stateMachineArn: MACHINE_ARN, name, status, startDate, stopDate: startDate + 1000, input: '{}' })}\n`;
    const { writeFileSync } = await import('node:fs');
    const old = Array.from({ length: OLD }, (_, index) => line(oldName(index), now - HOUR - index * 60_000, index % 2 === 0 ? 'SUCCEEDED' : 'FAILED'));
    // Closed more than 90 days ago: past AWS's retention, never listed.
    writeFileSync(journalFile, [line('ancient', now - 91 * 24 * HOUR, 'SUCCEEDED'), ...old.reverse()].join(''));

    const first = await startStepFunctionsServer({ stateMachines, invokeTask: functions.invokeTask, journalFile });
    const firstClient = clientFor(first.endpoint);
    // `slow` starts first and finishes last: finish order is not start order.
    const slow = await firstClient.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'slow', input: '{"id":"slow","behaviour":"hold"}' }));
    await new Promise((resolve) => setTimeout(resolve, 5)); // distinct start times (ties are ordered too, but AWS's tie order is its own)
    const quick = await firstClient.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'quick', input: '{"id":"quick","behaviour":"ok"}' }));
    expect((await waitUntilFinished(firstClient, quick.executionArn ?? '')).status).toBe('SUCCEEDED');
    functions.release();
    expect((await waitUntilFinished(firstClient, slow.executionArn ?? '')).status).toBe('SUCCEEDED');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const failing = await firstClient.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'failing', input: '{"mode":"explode"}' }));
    expect((await waitUntilFinished(firstClient, failing.executionArn ?? '')).status).toBe('FAILED');
    await first.idle();
    await first.close();
    firstClient.destroy();

    // Act: restart on the same journal; one execution runs in memory alongside the journaled ones.
    const second = await startStepFunctionsServer({ stateMachines, invokeTask: functions.invokeTask, journalFile });
    const client = clientFor(second.endpoint);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'live', input: '{"id":"live","behaviour":"hold"}' }));
      const everything = await listAll(client, { maxResults: 100 });
      const running = await listAll(client, { statusFilter: 'RUNNING', maxResults: 100 });
      const failed = await listAll(client, { statusFilter: 'FAILED', maxResults: 7 });
      const firstPage = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, maxResults: 2 }));
      // A start between two pages neither repeats nor skips anything on the next page.
      await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'between', input: '{"id":"between","behaviour":"hold"}' }));
      const secondPage = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, maxResults: 2, nextToken: firstPage.nextToken }));
      const badToken = await errorOf(client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, nextToken: 'not-a-token' })));

      // Assert
      const olds = Array.from({ length: OLD }, (_, index) => oldName(index));
      expect(everything.names).toEqual(['live', 'failing', 'quick', 'slow', ...olds]);
      expect(everything.pages).toBe(Math.ceil((OLD + 4) / 100));
      expect(running.names).toEqual(['live']);
      expect(failed.names).toEqual(['failing', ...olds.filter((_, index) => index % 2 === 1)]);
      expect(firstPage.executions?.map((execution) => execution.name)).toEqual(['live', 'failing']);
      expect(secondPage.executions?.map((execution) => execution.name)).toEqual(['quick', 'slow']);
      expect(secondPage.executions?.[0]).toMatchObject({ status: 'SUCCEEDED', startDate: quick.startDate });
      expect(badToken.name).toBe('InvalidToken');
    } finally {
      functions.release();
      await second.idle();
      await second.close();
      client.destroy();
    }
  });
});
