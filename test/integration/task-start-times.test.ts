/**
 * The local Step Functions endpoint on the real function host: TaskStarted is when a worker
 * began the attempt, not when the state machine scheduled it. With one worker, a Map's tasks are
 * all scheduled at once and then run one after another; the history must say so, retries too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFunctionHost, type FunctionHost } from '../../infra/local/function-host.ts';
import { startStepFunctionsServer, type StepFunctionsServer, type TaskInvoker } from '../../infra/local/step-functions/server.ts';

const ENCODER = 'arn:aws:lambda:us-east-1:000000000000:function:encoder';
const MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:start-times';
/** How long each attempt holds the one worker: long enough to tell a wait from a run. */
const HOLD_MS = 400;
/** Both clocks are Date.now(): the library logs an attempt's end a few microtasks after the worker is free. */
const CLOCK_SLACK_MS = 5;

const definition = {
  StartAt: 'Chunks',
  States: {
    Chunks: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        StartAt: 'Encode',
        States: {
          Encode: {
            Type: 'Task',
            Resource: ENCODER,
            Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 1 }],
            End: true,
          },
        },
      },
      End: true,
    },
  },
};

/**
 * The encoder's stand-in: holds its worker for holdMs; an item marked failOnce throws a
 * TransientError on its first try (a marker file, since each try may run in another worker process).
 */
const HOLD_HANDLER = `import { existsSync, writeFileSync } from 'node:fs';
export const handler = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, event.holdMs));
  if (event.failOnce && !existsSync(event.marker)) {
    writeFileSync(event.marker, '');
    throw Object.assign(new Error('STORAGE_UNAVAILABLE: try again'), { name: 'TransientError' });
  }
  return { item: event.item };
};
`;

let workDir: string;
let host: FunctionHost;
let server: StepFunctionsServer;
let client: SFNClient;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-start-times-'));
  const handlerPath = join(workDir, 'hold-handler.mjs');
  await writeFile(handlerPath, HOLD_HANDLER);
  host = await startFunctionHost({
    functions: [{ name: 'encoder', arn: ENCODER, handlerPath, environment: {}, timeoutSeconds: 30, memoryMiB: 128 }],
    runtimeEnvironment: {},
    tmpRoot: join(workDir, 'tmp'),
    concurrency: 1,
  });
  server = await startStepFunctionsServer({
    stateMachines: [{ arn: MACHINE_ARN, name: 'start-times', definition }],
    invokeTask: (resource, input, options) => host.invoke(resource, input, options),
  });
  client = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  await server?.idle();
  await server?.close();
  client?.destroy();
  await host?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** One Task attempt as the history tells it, found through previousEventId as AWS threads it. */
interface Attempt {
  iteration: number | undefined;
  scheduled: HistoryEvent;
  started: HistoryEvent | undefined;
  ended: HistoryEvent | undefined;
}

function attemptsOf(history: HistoryEvent[]): Attempt[] {
  const iterationOf = iterationIn(history);
  const next = (event: HistoryEvent) => history.find((candidate) => candidate.previousEventId === event.id);
  return history
    .filter((event) => event.type === 'TaskScheduled')
    .map((scheduled) => {
      const following = next(scheduled);
      const started = following?.type === 'TaskStarted' ? following : undefined;
      const ended = started === undefined ? following : next(started);
      return { iteration: iterationOf(scheduled), scheduled, started, ended };
    });
}

const ms = (event: HistoryEvent | undefined) => event?.timestamp?.getTime() ?? Number.NaN;

function iterationIn(history: HistoryEvent[]): (event: HistoryEvent) => number | undefined {
  const byId = new Map(history.map((event) => [event.id, event]));
  return (event) => {
    for (let at: HistoryEvent | undefined = event; at; at = byId.get(at.previousEventId)) {
      if (at.type === 'MapIterationStarted') return at.mapIterationStartedEventDetails?.index;
    }
    return undefined;
  };
}

describe('task start times on the local host', () => {
  it('starts each attempt when the one worker takes it: scheduled together, run one after another, a retry as its own pair', async () => {
    const items = [0, 1, 2, 3].map((item) => ({ item, holdMs: HOLD_MS, failOnce: item === 1, marker: join(workDir, `failed-${item}`) }));
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'serialised', input: JSON.stringify({ items }) }));
    await server.idle();
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    const history = (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];

    expect(execution.status).toBe('SUCCEEDED');
    const attempts = attemptsOf(history);
    // Every item once, and item 1 twice: each attempt its own TaskScheduled and TaskStarted, then its end.
    expect(attempts.map((attempt) => attempt.iteration).sort()).toEqual([0, 1, 1, 2, 3]);
    for (const attempt of attempts) {
      expect(attempt.started?.taskStartedEventDetails).toEqual({ resourceType: 'lambda', resource: ENCODER });
      expect(attempt.ended?.type).toMatch(/^Task(Succeeded|Failed)$/);
      expect(ms(attempt.started)).toBeGreaterThanOrEqual(ms(attempt.scheduled));
      expect(ms(attempt.ended) - ms(attempt.started)).toBeGreaterThanOrEqual(HOLD_MS - CLOCK_SLACK_MS);
    }
    const retried = attempts.filter((attempt) => attempt.iteration === 1);
    expect(retried.map((attempt) => attempt.ended?.type)).toEqual(['TaskFailed', 'TaskSucceeded']);

    // The first tries were scheduled together, as the Map entered them...
    const firstTries = attempts.slice(0, 4);
    expect(firstTries.map((attempt) => attempt.iteration).sort()).toEqual([0, 1, 2, 3]);
    const scheduledAt = firstTries.map((attempt) => ms(attempt.scheduled));
    expect(Math.max(...scheduledAt) - Math.min(...scheduledAt)).toBeLessThan(HOLD_MS / 2);
    // ...and ran one at a time: each attempt starts once the one before it on the worker ended.
    const byStart = [...attempts].sort((a, b) => ms(a.started) - ms(b.started));
    for (const [index, attempt] of byStart.entries()) {
      const before = byStart[index - 1];
      if (before === undefined) continue;
      expect(ms(attempt.started)).toBeGreaterThanOrEqual(ms(before.ended) - CLOCK_SLACK_MS);
      expect(ms(attempt.started) - ms(before.started)).toBeGreaterThanOrEqual(HOLD_MS - CLOCK_SLACK_MS);
    }
    // The retry is scheduled after its first try failed, its IntervalSeconds (1 s) later.
    expect(ms(retried[1]?.scheduled) - ms(retried[0]?.ended)).toBeGreaterThanOrEqual(1000 - CLOCK_SLACK_MS);
  });
});

/** Many concurrent iterations, a state before the Task, two Task states, retries: the same machine shapes as the pipeline's, busier. */
const busyDefinition = {
  StartAt: 'Items',
  States: {
    Items: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        StartAt: 'Prepare',
        States: {
          Prepare: { Type: 'Pass', Next: 'First' },
          First: { Type: 'Task', Resource: ENCODER, Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 }], Next: 'Second' },
          Second: { Type: 'Task', Resource: ENCODER, Parameters: { 'item.$': '$.item' }, End: true },
        },
      },
      End: true,
    },
  },
};
const BUSY_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:busy';

describe('pairing each start with its attempt', () => {
  it('writes every TaskStarted in the iteration whose call started, however the calls and starts interleave', async () => {
    // Each call reports a start time that names its item, after a random wait, so a start written in another iteration shows.
    const named = Date.parse('2030-01-01T00:00:00.000Z');
    const tries = new Map<number, number>();
    const invokeTask: TaskInvoker = async (_resource, input, { onStart }) => {
      const { item } = input as { item: number };
      const attempt = (tries.get(item) ?? 0) + 1;
      tries.set(item, attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
      onStart(named + item);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 50));
      if (item % 3 === 0 && attempt <= 2) throw Object.assign(new Error('try again'), { name: 'TransientError' });
      return { item };
    };
    const busy = await startStepFunctionsServer({ stateMachines: [{ arn: BUSY_ARN, name: 'busy', definition: busyDefinition }], invokeTask });
    const busyClient = new SFNClient({ endpoint: busy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const items = Array.from({ length: 40 }, (_, item) => ({ item }));
      const { executionArn } = await busyClient.send(new StartExecutionCommand({ stateMachineArn: BUSY_ARN, name: 'busy', input: JSON.stringify({ items }) }));
      await busy.idle();
      const history: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await busyClient.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
        history.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken !== undefined);

      expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
      const iterationOf = iterationIn(history);
      const started = history.filter((event) => event.type === 'TaskStarted');
      // 40 items through two Tasks, and the 14 items divisible by 3 tried twice more in the first.
      expect(started).toHaveLength(40 * 2 + 14 * 2);
      expect(started.filter((event) => ms(event) - named !== iterationOf(event))).toEqual([]);
    } finally {
      await busy.close();
      busyClient.destroy();
    }
  });
});
