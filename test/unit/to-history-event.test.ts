import { describe, expect, it } from 'vitest';
import { EXECUTION_TIMED_OUT, HistoryThreads, describeResource, toHistoryEvents, type HistoryEventBody, type LibraryEvent } from '../../infra/local/step-functions/to-history-event.ts';

const context = {
  roleArn: 'arn:aws:iam::0:role/r',
  region: 'us-east-1',
  taskResources: new Map([
    ['Encode', 'arn:aws:lambda:us-east-1:0:function:encoder'],
    ['Invoke', 'arn:aws:states:::lambda:invoke'],
  ]),
};
const timestamp = 1_700_000_000_500;
const mapState = { name: 'Chunks', type: 'Map' as const, input: { chunks: [1] } };

const ENCODER = 'arn:aws:lambda:us-east-1:0:function:encoder';
const encoderTask = { resourceType: 'lambda', resource: ENCODER };

describe('toHistoryEvents', () => {
  it.each<[string, LibraryEvent, object | object[] | undefined]>([
    [
      'ExecutionStarted',
      { type: 'ExecutionStarted', timestamp, input: { a: 1 } },
      { type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"a":1}', inputDetails: { truncated: false }, roleArn: context.roleArn } },
    ],
    [
      'ExecutionSucceeded',
      { type: 'ExecutionSucceeded', timestamp, output: [1] },
      { type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: '[1]', outputDetails: { truncated: false } } },
    ],
    [
      'ExecutionFailed with a non-string Cause',
      { type: 'ExecutionFailed', timestamp, Error: 'InternalError', Cause: { detail: 'x' } },
      { type: 'ExecutionFailed', executionFailedEventDetails: { error: 'InternalError', cause: '{"detail":"x"}' } },
    ],
    ['ExecutionTimeout', { type: 'ExecutionTimeout', timestamp }, { type: 'ExecutionTimedOut', executionTimedOutEventDetails: EXECUTION_TIMED_OUT }],
    [
      'StateEntered, named after the state type',
      { type: 'StateEntered', timestamp, state: { name: 'Route', type: 'Choice', input: { b: 2 } } },
      { type: 'ChoiceStateEntered', stateEnteredEventDetails: { name: 'Route', input: '{"b":2}', inputDetails: { truncated: false } } },
    ],
    [
      'StateEntered of a Task: the state, then its first attempt scheduled (a worker starts it later)',
      { type: 'StateEntered', timestamp, state: { name: 'Encode', type: 'Task', input: { c: 1 } } },
      [
        { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Encode', input: '{"c":1}', inputDetails: { truncated: false } } },
        { type: 'TaskScheduled', taskScheduledEventDetails: { ...encoderTask, region: 'us-east-1', parameters: '{"c":1}' } },
      ],
    ],
    [
      'StateRetried of a Task: the next attempt scheduled',
      { type: 'StateRetried', timestamp, state: { name: 'Encode', type: 'Task', input: {} }, retry: { retrier: { ErrorEquals: ['E'] }, attempt: 1 } },
      [{ type: 'TaskScheduled', taskScheduledEventDetails: { ...encoderTask, region: 'us-east-1', parameters: '{}' } }],
    ],
    [
      'StateExited of a Task: its attempt succeeded, then the state exited',
      { type: 'StateExited', timestamp, state: { name: 'Encode', type: 'Task', input: {}, output: { key: 'k' } } },
      [
        { type: 'TaskSucceeded', taskSucceededEventDetails: encoderTask },
        { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Encode', output: '{"key":"k"}', outputDetails: { truncated: false } } },
      ],
    ],
    [
      'StateFailed of a Task by its timeout',
      { type: 'StateFailed', timestamp, state: { name: 'Encode', type: 'Task', input: {} }, Error: 'States.Timeout', Cause: 'too slow' },
      { type: 'TaskTimedOut', taskTimedOutEventDetails: { ...encoderTask, error: 'States.Timeout', cause: 'too slow' } },
    ],
    [
      'StateFailed of a Task',
      { type: 'StateFailed', timestamp, state: { name: 'Encode', type: 'Task', input: {} }, Error: 'TransientError', Cause: 'try again' },
      {
        type: 'TaskFailed',
        taskFailedEventDetails: { resourceType: 'lambda', resource: 'arn:aws:lambda:us-east-1:0:function:encoder', error: 'TransientError', cause: 'try again' },
      },
    ],
    ['StateFailed of a Map', { type: 'StateFailed', timestamp, state: mapState, Error: 'E', Cause: 'c' }, { type: 'MapStateFailed' }],
    ['StateFailed of a Choice: no AWS event', { type: 'StateFailed', timestamp, state: { name: 'R', type: 'Choice', input: {} }, Error: 'E', Cause: 'c' }, undefined],
    [
      'MapIterationStarted',
      { type: 'MapIterationStarted', timestamp, index: 3, parentState: mapState },
      { type: 'MapIterationStarted', mapIterationStartedEventDetails: { name: 'Chunks', index: 3 } },
    ],
    [
      'MapIterationFailed',
      { type: 'MapIterationFailed', timestamp, index: 0, parentState: mapState, Error: 'E', Cause: 'c' },
      { type: 'MapIterationFailed', mapIterationFailedEventDetails: { name: 'Chunks', index: 0 } },
    ],
    [
      'StateCaught: no AWS event',
      { type: 'StateCaught', timestamp, state: { name: 'Encode', type: 'Task', input: {} }, catch: { catcher: { ErrorEquals: ['E'], Next: 'X' } } },
      undefined,
    ],
    ['ParallelBranchStarted: no AWS event', { type: 'ParallelBranchStarted', timestamp, parentState: { ...mapState, type: 'Parallel' } }, undefined],
  ])('maps %s', (_, event, expected) => {
    const mapped = toHistoryEvents(event, context);

    const bodies = expected === undefined ? [] : [expected].flat();
    expect(mapped).toEqual(bodies.map((body) => ({ timestamp: 1_700_000_000.5, ...body })));
  });
});

type Recorded = HistoryEventBody & { id: number; previousEventId: number };
/**
 * What the host does besides logging: the library calls a Task's handler (`call`), a worker
 * starts that call (`start`, epoch ms). As in the host, a call comes before its attempt reaches
 * this log: the library calls the handler as it logs the attempt, and forwards the event later.
 */
type Step = LibraryEvent | { call: string; as: string } | { start: string; atMs: number };

describe('HistoryThreads', () => {
  function recorded(steps: Step[]): Recorded[] {
    const history: Recorded[] = [];
    const threads = new HistoryThreads({ ...context, enclosingMaps: new Map([['Encode', 'Chunks']]) }, (body, previousEventId) => {
      history.push({ ...body, id: history.length + 1, previousEventId });
      return history.length;
    });
    const calls = new Map<string, (startMs: number) => void>();
    for (const step of steps) {
      if ('call' in step) calls.set(step.as, threads.beginAttempt(step.call));
      else if ('start' in step) calls.get(step.start)?.(step.atMs);
      else threads.record(step);
    }
    return history;
  }
  const encode = { name: 'Encode', type: 'Task' as const, input: {} };
  /** The Map iteration an event belongs to, found as AWS threads it: back through previousEventId. */
  const iterationOf = (history: Recorded[], event: Recorded | undefined): number | undefined => {
    const byId = new Map(history.map((each) => [each.id, each]));
    for (let at = event; at; at = byId.get(at.previousEventId)) {
      if (at.mapIterationStartedEventDetails) return at.mapIterationStartedEventDetails.index;
    }
    return undefined;
  };
  const mapOfTwo: LibraryEvent[] = [
    { type: 'ExecutionStarted', timestamp, input: {} },
    { type: 'StateEntered', timestamp, state: mapState },
    { type: 'MapIterationStarted', timestamp, index: 0, parentState: mapState },
    { type: 'MapIterationStarted', timestamp, index: 1, parentState: mapState },
  ];

  it('chains each Map iteration to its own MapIterationStarted, however the iterations interleave', () => {
    const history = recorded([
      { type: 'ExecutionStarted', timestamp, input: {} },
      { type: 'StateEntered', timestamp, state: mapState },
      { type: 'MapIterationStarted', timestamp, index: 0, parentState: mapState },
      { type: 'MapIterationStarted', timestamp, index: 1, parentState: mapState },
      { type: 'StateEntered', timestamp, state: encode, index: 1 },
      { type: 'StateEntered', timestamp, state: encode, index: 0 },
      { type: 'StateExited', timestamp, state: encode, index: 0 },
      { type: 'StateExited', timestamp, state: encode, index: 1 },
    ]);

    const byId = new Map(history.map((event) => [event.id, event]));
    const iterationOf = (event: (typeof history)[number]) => {
      for (let at: (typeof history)[number] | undefined = event; at; at = byId.get(at.previousEventId)) {
        if (at.mapIterationStartedEventDetails) return at.mapIterationStartedEventDetails.index;
      }
      return undefined;
    };
    const succeeded = history.filter((event) => event.type === 'TaskSucceeded');
    expect(succeeded.map(iterationOf)).toEqual([0, 1]);
    expect(history.filter((event) => event.type === 'MapIterationStarted').map((event) => event.previousEventId)).toEqual([2, 2]);
    expect(history.every((event) => event.previousEventId < event.id)).toBe(true);
  });

  it('writes each TaskStarted when a worker starts the attempt, in its own iteration, right after its TaskScheduled', () => {
    // Both handlers are called as their attempts are logged; the worker takes iteration 1's first.
    const history = recorded([
      ...mapOfTwo,
      { call: 'Encode', as: 'first' },
      { type: 'StateEntered', timestamp, state: encode, index: 0 },
      { call: 'Encode', as: 'second' },
      { type: 'StateEntered', timestamp, state: encode, index: 1 },
      { start: 'second', atMs: timestamp + 1_000 },
      { start: 'first', atMs: timestamp + 3_000 },
      { type: 'StateExited', timestamp: timestamp + 2_000, state: encode, index: 1 },
      { type: 'StateExited', timestamp: timestamp + 4_000, state: encode, index: 0 },
    ]);

    const started = history.filter((event) => event.type === 'TaskStarted');
    expect(started.map((event) => [iterationOf(history, event), event.timestamp])).toEqual([
      [1, (timestamp + 1_000) / 1000],
      [0, (timestamp + 3_000) / 1000],
    ]);
    expect(started.every((event) => event.taskStartedEventDetails?.resource === ENCODER)).toBe(true);
    for (const event of started) expect(history[event.previousEventId - 1]?.type).toBe('TaskScheduled');
    for (const event of history.filter((each) => each.type === 'TaskSucceeded')) expect(history[event.previousEventId - 1]?.type).toBe('TaskStarted');
  });

  it('pairs handler calls with logged attempts in order, when calls run ahead of the log', () => {
    // The library calls each handler before its attempt reaches this log, and a worker may start it before too.
    const history = recorded([
      ...mapOfTwo,
      { call: 'Encode', as: 'first' },
      { call: 'Encode', as: 'second' },
      { start: 'first', atMs: timestamp + 10 },
      { type: 'StateEntered', timestamp, state: encode, index: 0 },
      { type: 'StateEntered', timestamp, state: encode, index: 1 },
      { start: 'second', atMs: timestamp + 2_000 },
    ]);

    expect(history.slice(4).map((event) => [event.type, iterationOf(history, event), event.timestamp])).toEqual([
      ['TaskStateEntered', 0, timestamp / 1000],
      ['TaskScheduled', 0, timestamp / 1000],
      ['TaskStarted', 0, (timestamp + 10) / 1000],
      ['TaskStateEntered', 1, timestamp / 1000],
      ['TaskScheduled', 1, timestamp / 1000],
      ['TaskStarted', 1, (timestamp + 2_000) / 1000],
    ]);
  });

  it('gives a retried task one TaskScheduled and TaskStarted per attempt, and none to an attempt that ended before a worker took it', () => {
    const retrier = { ErrorEquals: ['States.ALL'] };
    const history = recorded([
      { call: 'Encode', as: 'first' },
      { type: 'StateEntered', timestamp, state: encode },
      { start: 'first', atMs: timestamp + 100 },
      { type: 'StateFailed', timestamp: timestamp + 200, state: encode, Error: 'TransientError', Cause: 'again' },
      { call: 'Encode', as: 'second' },
      { type: 'StateRetried', timestamp: timestamp + 1_200, state: encode, retry: { retrier, attempt: 1 } },
      // Its TimeoutSeconds ran out while it waited for a worker: it never ran, and a late start changes nothing.
      { type: 'StateFailed', timestamp: timestamp + 2_200, state: encode, Error: 'States.Timeout', Cause: 'timed out' },
      { start: 'second', atMs: timestamp + 2_500 },
      { call: 'Encode', as: 'third' },
      { type: 'StateRetried', timestamp: timestamp + 3_200, state: encode, retry: { retrier, attempt: 2 } },
      { start: 'third', atMs: timestamp + 3_300 },
      { type: 'StateExited', timestamp: timestamp + 4_000, state: encode },
    ]);

    expect(history.map((event) => [event.type, event.timestamp * 1000 - timestamp])).toEqual([
      ['TaskStateEntered', 0],
      ['TaskScheduled', 0],
      ['TaskStarted', 100],
      ['TaskFailed', 200],
      ['TaskScheduled', 1_200],
      ['TaskTimedOut', 2_200],
      ['TaskScheduled', 3_200],
      ['TaskStarted', 3_300],
      ['TaskSucceeded', 4_000],
      ['TaskStateExited', 4_000],
    ]);
    expect(history.every((event) => event.previousEventId === event.id - 1)).toBe(true);
  });

  it('writes no TaskSucceeded for a state that exits through a Catch after a failed attempt', () => {
    const history = recorded([
      { call: 'Encode', as: 'only' },
      { type: 'StateEntered', timestamp, state: encode },
      { start: 'only', atMs: timestamp },
      { type: 'StateFailed', timestamp, state: encode, Error: 'InputRejected', Cause: 'bad' },
      { type: 'StateCaught', timestamp, state: encode, catch: { catcher: { ErrorEquals: ['InputRejected'], Next: 'X' } } },
      { type: 'StateExited', timestamp, state: encode },
    ]);

    expect(history.map((event) => event.type)).toEqual(['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'TaskStateExited']);
  });
});

describe('describeResource', () => {
  it.each([
    ['arn:aws:states:::lambda:invoke', ['lambda', 'invoke']],
    ['arn:aws:states:::s3:getObject', ['s3', 'getObject']],
    ['arn:aws:lambda:us-east-1:0:function:encoder', ['lambda', 'arn:aws:lambda:us-east-1:0:function:encoder']],
  ])('%s', (resource, expected) => {
    expect(describeResource(resource)).toEqual(expected);
  });
});
