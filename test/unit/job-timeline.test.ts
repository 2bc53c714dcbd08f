import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { timelineOf } from '../../shared/job-timeline.ts';

/**
 * Test data shaped as AWS's GetExecutionHistory returns it for this pipeline: ids in order,
 * each `previousEventId` pointing at the event before it in its own thread (a Map iteration's
 * first event at its MapIterationStarted), every Lambda attempt TaskScheduled, TaskStarted,
 * then TaskSucceeded or TaskFailed.
 */
const T0 = Date.parse('2026-05-01T10:00:00.000Z');
const ENCODER = 'arn:aws:lambda:us-east-1:123456789012:function:fanout-encoder';
const lambda = { resourceType: 'lambda', resource: 'invoke' };

function history(rows: Array<[id: number, previous: number, type: string, atMs: number, details?: Partial<HistoryEvent>]>): HistoryEvent[] {
  return rows.map(([id, previousEventId, type, atMs, details]) => ({ id, previousEventId, type, timestamp: new Date(T0 + atMs), ...details }) as HistoryEvent);
}
const entered = (name: string) => ({ stateEnteredEventDetails: { name } });
const exited = (name: string) => ({ stateExitedEventDetails: { name } });
const iteration = (name: string, index: number) => ({ mapIterationStartedEventDetails: { name, index } });
const scheduled = { taskScheduledEventDetails: { ...lambda, region: 'us-east-1', parameters: `{"FunctionName":"${ENCODER}"}` } };
const failed = { taskFailedEventDetails: { ...lambda, error: 'TransientError', cause: 'STORAGE_UNAVAILABLE: try again' } };

/** Split; two chunks (chunk 1 fails once and is retried), one audio track, one image; Assemble. */
const awsHistory = history([
  [1, 0, 'ExecutionStarted', 0],
  [2, 1, 'TaskStateEntered', 10, entered('Split')],
  [3, 2, 'TaskScheduled', 11, scheduled],
  [4, 3, 'TaskStarted', 40],
  [5, 4, 'TaskSucceeded', 2_040],
  [6, 5, 'TaskStateExited', 2_041, exited('Split')],
  [7, 6, 'ChoiceStateEntered', 2_042, entered('Accepted?')],
  [8, 7, 'ChoiceStateExited', 2_043, exited('Accepted?')],
  [9, 8, 'ParallelStateEntered', 2_044, entered('FanOut')],
  [10, 9, 'ParallelStateStarted', 2_045],
  [11, 10, 'ChoiceStateEntered', 2_046, entered('Distributed?')],
  [12, 11, 'ChoiceStateExited', 2_047, exited('Distributed?')],
  [13, 12, 'MapStateEntered', 2_048, entered('EncodeChunks')],
  [14, 13, 'MapStateStarted', 2_049],
  [15, 10, 'MapStateEntered', 2_048, entered('EncodeAudio')],
  [16, 15, 'MapStateStarted', 2_049],
  [17, 10, 'MapStateEntered', 2_048, entered('ResizeImages')],
  [18, 17, 'MapStateStarted', 2_049],
  [19, 14, 'MapIterationStarted', 2_050, iteration('EncodeChunks', 0)],
  [20, 14, 'MapIterationStarted', 2_050, iteration('EncodeChunks', 1)],
  [21, 16, 'MapIterationStarted', 2_050, iteration('EncodeAudio', 0)],
  [22, 18, 'MapIterationStarted', 2_050, iteration('ResizeImages', 0)],
  [23, 20, 'TaskStateEntered', 2_051, entered('EncodeChunk')],
  [24, 19, 'TaskStateEntered', 2_051, entered('EncodeChunk')],
  [25, 21, 'TaskStateEntered', 2_051, entered('EncodeAudioTrack')],
  [26, 22, 'TaskStateEntered', 2_051, entered('ResizeImage')],
  [27, 24, 'TaskScheduled', 2_052, scheduled],
  [28, 23, 'TaskScheduled', 2_052, scheduled],
  [29, 25, 'TaskScheduled', 2_052, scheduled],
  [30, 26, 'TaskScheduled', 2_052, scheduled],
  [31, 28, 'TaskStarted', 2_100],
  [32, 27, 'TaskStarted', 2_150],
  [33, 29, 'TaskStarted', 2_090],
  [34, 30, 'TaskStarted', 2_080],
  [35, 31, 'TaskFailed', 2_600, failed],
  [36, 34, 'TaskSucceeded', 2_900],
  [37, 36, 'TaskStateExited', 2_901, exited('ResizeImage')],
  [38, 37, 'MapIterationSucceeded', 2_902],
  [39, 35, 'TaskScheduled', 3_600, scheduled],
  [40, 39, 'TaskStarted', 3_650],
  [41, 32, 'TaskSucceeded', 5_150],
  [42, 41, 'TaskStateExited', 5_151, exited('EncodeChunk')],
  [43, 33, 'TaskSucceeded', 5_500],
  [44, 43, 'TaskStateExited', 5_501, exited('EncodeAudioTrack')],
  [45, 40, 'TaskSucceeded', 6_650],
  [46, 45, 'TaskStateExited', 6_651, exited('EncodeChunk')],
  [47, 14, 'MapStateSucceeded', 6_652],
  [48, 47, 'MapStateExited', 6_653, exited('EncodeChunks')],
  [49, 10, 'ParallelStateSucceeded', 6_654],
  [50, 49, 'ParallelStateExited', 6_655, exited('FanOut')],
  [51, 50, 'TaskStateEntered', 6_656, entered('Assemble')],
  [52, 51, 'TaskScheduled', 6_657, scheduled],
  [53, 52, 'TaskStarted', 6_700],
  [54, 53, 'TaskSucceeded', 8_700],
  [55, 54, 'TaskStateExited', 8_701, exited('Assemble')],
  [56, 55, 'SucceedStateEntered', 8_702, entered('Done')],
  [57, 56, 'ExecutionSucceeded', 8_710],
]);

describe('timelineOf an AWS history', () => {
  const timeline = timelineOf(awsHistory);

  it('has the execution span and status, and one lane per task in step order', () => {
    expect(timeline).toMatchObject({ status: 'SUCCEEDED', startedAt: '2026-05-01T10:00:00.000Z', endedAt: '2026-05-01T10:00:08.710Z', durationMs: 8_710 });
    expect(timeline.lanes.map((lane) => lane.label)).toEqual(['split', 'chunk 0', 'chunk 1', 'audio track 0', 'image 0', 'assemble']);
  });

  it.each([
    ['split', [{ step: 'split', attempt: 1, scheduledMs: 11, startMs: 40, endMs: 2_040, outcome: 'succeeded' }]],
    ['chunk 0', [{ step: 'encode', index: 0, attempt: 1, scheduledMs: 2_052, startMs: 2_150, endMs: 5_150, outcome: 'succeeded' }]],
    [
      'chunk 1',
      [
        { step: 'encode', index: 1, attempt: 1, scheduledMs: 2_052, startMs: 2_100, endMs: 2_600, outcome: 'failed', error: 'TransientError: STORAGE_UNAVAILABLE: try again' },
        { step: 'encode', index: 1, attempt: 2, scheduledMs: 3_600, startMs: 3_650, endMs: 6_650, outcome: 'succeeded' },
      ],
    ],
    ['audio track 0', [{ step: 'audio', index: 0, attempt: 1, scheduledMs: 2_052, startMs: 2_090, endMs: 5_500, outcome: 'succeeded' }]],
    ['image 0', [{ step: 'resize', index: 0, attempt: 1, scheduledMs: 2_052, startMs: 2_080, endMs: 2_900, outcome: 'succeeded' }]],
    ['assemble', [{ step: 'assemble', attempt: 1, scheduledMs: 6_657, startMs: 6_700, endMs: 8_700, outcome: 'succeeded' }]],
  ])('draws %s: every attempt from its TaskStarted to its end, by its Map iteration', (label, bars) => {
    expect(timeline.lanes.find((lane) => lane.label === label)?.bars).toEqual(bars.map((bar) => ({ label, ...bar })));
  });

  it('reads the events in id order, however they were paged', () => {
    expect(timelineOf([...awsHistory].reverse())).toEqual(timeline);
  });
});

describe('timelineOf, other histories', () => {
  it('ends a running attempt at `now` while the execution runs', () => {
    const running = awsHistory.filter((event) => (event.id ?? 0) <= 34);

    const timeline = timelineOf(running, { now: T0 + 4_000 });

    expect(timeline).toMatchObject({ status: 'RUNNING', durationMs: 4_000 });
    expect(timeline.endedAt).toBeUndefined();
    expect(timeline.lanes.find((lane) => lane.label === 'chunk 0')?.bars).toEqual([
      { step: 'encode', label: 'chunk 0', index: 0, attempt: 1, scheduledMs: 2_052, startMs: 2_150, endMs: 4_000, outcome: 'running' },
    ]);
  });

  it('marks an attempt cut off by the execution\'s end as failed, ending with it', () => {
    const aborted = [...awsHistory.filter((event) => (event.id ?? 0) <= 34), ...history([[35, 34, 'ExecutionAborted', 3_000]])];

    const timeline = timelineOf(aborted);

    expect(timeline).toMatchObject({ status: 'ABORTED', durationMs: 3_000 });
    expect(timeline.lanes.find((lane) => lane.label === 'chunk 1')?.bars).toEqual([
      { step: 'encode', label: 'chunk 1', index: 1, attempt: 1, scheduledMs: 2_052, startMs: 2_100, endMs: 3_000, outcome: 'failed' },
    ]);
  });

  it('tells a wait for a worker from the run: chunks scheduled together start one after another, and one never started has no run', () => {
    // The local host with one worker: its history has TaskStarted when a worker took the attempt.
    const local = history([
      [1, 0, 'ExecutionStarted', 0],
      [2, 1, 'MapStateEntered', 100, entered('EncodeChunks')],
      [3, 2, 'MapIterationStarted', 101, iteration('EncodeChunks', 0)],
      [4, 2, 'MapIterationStarted', 101, iteration('EncodeChunks', 1)],
      [5, 2, 'MapIterationStarted', 101, iteration('EncodeChunks', 2)],
      [6, 3, 'TaskStateEntered', 102, entered('EncodeChunk')],
      [7, 6, 'TaskScheduled', 102, scheduled],
      [8, 4, 'TaskStateEntered', 102, entered('EncodeChunk')],
      [9, 8, 'TaskScheduled', 102, scheduled],
      [10, 5, 'TaskStateEntered', 102, entered('EncodeChunk')],
      [11, 10, 'TaskScheduled', 102, scheduled],
      [12, 7, 'TaskStarted', 105],
      [13, 12, 'TaskSucceeded', 1_105],
      [14, 9, 'TaskStarted', 1_106],
      // Chunk 2's TimeoutSeconds ran out while it still waited: it never ran.
      [15, 11, 'TaskTimedOut', 1_500, { taskTimedOutEventDetails: { ...lambda, error: 'States.Timeout', cause: 'timed out' } }],
    ]);

    const timeline = timelineOf(local, { now: T0 + 2_000 });

    expect(timeline.lanes.map((lane) => lane.bars)).toEqual([
      [{ step: 'encode', label: 'chunk 0', index: 0, attempt: 1, scheduledMs: 102, startMs: 105, endMs: 1_105, outcome: 'succeeded' }],
      [{ step: 'encode', label: 'chunk 1', index: 1, attempt: 1, scheduledMs: 102, startMs: 1_106, endMs: 2_000, outcome: 'running' }],
      [{ step: 'encode', label: 'chunk 2', index: 2, attempt: 1, scheduledMs: 102, startMs: 1_500, endMs: 1_500, outcome: 'failed', error: 'States.Timeout: timed out' }],
    ]);
  });

  it('shows an attempt still waiting for a worker as a wait, with no run yet', () => {
    const waiting = awsHistory.filter((event) => (event.id ?? 0) <= 30);

    const timeline = timelineOf(waiting, { now: T0 + 2_070 });

    expect(timeline.lanes.find((lane) => lane.label === 'image 0')?.bars).toEqual([
      { step: 'resize', label: 'image 0', index: 0, attempt: 1, scheduledMs: 2_052, startMs: 2_070, endMs: 2_070, outcome: 'running' },
    ]);
  });

  it('shows a Distributed Map as one bar: its chunks ran as child executions, outside this history', () => {
    const distributed = history([
      [1, 0, 'ExecutionStarted', 0],
      [2, 1, 'MapStateEntered', 1_000, entered('EncodeChunksDistributed')],
      [3, 2, 'MapStateStarted', 1_001],
      [4, 3, 'MapRunStarted', 1_002, { mapRunStartedEventDetails: { mapRunArn: 'arn:aws:states:us-east-1:1:mapRun:m/x:y' } }],
      [5, 4, 'MapRunSucceeded', 9_000],
      [6, 5, 'MapStateSucceeded', 9_001],
      [7, 6, 'MapStateExited', 9_002, exited('EncodeChunksDistributed')],
      [8, 7, 'ExecutionSucceeded', 9_010],
    ]);

    const timeline = timelineOf(distributed);

    expect(timeline.lanes).toEqual([
      {
        step: 'encode',
        label: 'chunks (Distributed Map: child executions)',
        bars: [{ step: 'encode', label: 'chunks (Distributed Map: child executions)', attempt: 1, scheduledMs: 1_000, startMs: 1_000, endMs: 9_002, outcome: 'succeeded' }],
      },
    ]);
  });

  it('has no lanes for a history that holds only the execution\'s start and end', () => {
    const bare = history([
      [1, 0, 'ExecutionStarted', 0],
      [2, 1, 'ExecutionFailed', 500, { executionFailedEventDetails: { error: 'States.Runtime', cause: 'x' } }],
    ]);

    expect(timelineOf(bare)).toEqual({ status: 'FAILED', startedAt: '2026-05-01T10:00:00.000Z', endedAt: '2026-05-01T10:00:00.500Z', durationMs: 500, lanes: [] });
  });
});
