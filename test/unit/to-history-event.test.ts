import { describe, expect, it } from 'vitest';
import { EXECUTION_TIMED_OUT, describeResource, toHistoryEvent, type LibraryEvent } from '../../infra/local/step-functions/to-history-event.ts';

const context = {
  roleArn: 'arn:aws:iam::0:role/r',
  taskResources: new Map([
    ['Encode', 'arn:aws:lambda:us-east-1:0:function:encoder'],
    ['Invoke', 'arn:aws:states:::lambda:invoke'],
  ]),
};
const timestamp = 1_700_000_000_500;
const mapState = { name: 'Chunks', type: 'Map' as const, input: { chunks: [1] } };

describe('toHistoryEvent', () => {
  it.each<[string, LibraryEvent, object | undefined]>([
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
      'StateExited',
      { type: 'StateExited', timestamp, state: { name: 'Encode', type: 'Task', input: {}, output: { key: 'k' } } },
      { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Encode', output: '{"key":"k"}', outputDetails: { truncated: false } } },
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
      'StateRetried: no AWS event',
      { type: 'StateRetried', timestamp, state: { name: 'Encode', type: 'Task', input: {} }, retry: { retrier: { ErrorEquals: ['E'] }, attempt: 1 } },
      undefined,
    ],
    ['ParallelBranchStarted: no AWS event', { type: 'ParallelBranchStarted', timestamp, parentState: { ...mapState, type: 'Parallel' } }, undefined],
  ])('maps %s', (_, event, expected) => {
    const mapped = toHistoryEvent(event, context);

    if (expected === undefined) expect(mapped).toBeUndefined();
    else expect(mapped).toEqual({ timestamp: 1_700_000_000.5, ...expected });
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
