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
      'StateEntered of a Task: the state, then its first attempt scheduled and started',
      { type: 'StateEntered', timestamp, state: { name: 'Encode', type: 'Task', input: { c: 1 } } },
      [
        { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Encode', input: '{"c":1}', inputDetails: { truncated: false } } },
        { type: 'TaskScheduled', taskScheduledEventDetails: { ...encoderTask, region: 'us-east-1', parameters: '{"c":1}' } },
        { type: 'TaskStarted', taskStartedEventDetails: encoderTask },
      ],
    ],
    [
      'StateRetried of a Task: the next attempt',
      { type: 'StateRetried', timestamp, state: { name: 'Encode', type: 'Task', input: {} }, retry: { retrier: { ErrorEquals: ['E'] }, attempt: 1 } },
      [
        { type: 'TaskScheduled', taskScheduledEventDetails: { ...encoderTask, region: 'us-east-1', parameters: '{}' } },
        { type: 'TaskStarted', taskStartedEventDetails: encoderTask },
      ],
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

describe('HistoryThreads', () => {
  function recorded(events: LibraryEvent[]): Array<HistoryEventBody & { id: number; previousEventId: number }> {
    const history: Array<HistoryEventBody & { id: number; previousEventId: number }> = [];
    const threads = new HistoryThreads({ ...context, enclosingMaps: new Map([['Encode', 'Chunks']]) }, (body, previousEventId) => {
      history.push({ ...body, id: history.length + 1, previousEventId });
      return history.length;
    });
    for (const event of events) threads.record(event);
    return history;
  }
  const encode = { name: 'Encode', type: 'Task' as const, input: {} };

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

  it('writes no TaskSucceeded for a state that exits through a Catch after a failed attempt', () => {
    const history = recorded([
      { type: 'StateEntered', timestamp, state: encode },
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
