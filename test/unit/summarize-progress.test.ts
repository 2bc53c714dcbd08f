import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { summarizeProgress, tasksOf, type JobProgress } from '../../shared/summarize-progress.ts';

const UPLOADED_AT = Date.parse('2026-01-01T00:00:00Z');
/** Seconds after the upload, as a history timestamp. */
const at = (seconds: number) => new Date(UPLOADED_AT + seconds * 1000);

const plan = { chunkTasks: [{}, {}, {}], audioTasks: [{}], imageTasks: [{}, {}, {}, {}, {}, {}] };
const imagePlan = { chunkTasks: [], audioTasks: [], imageTasks: [{}, {}, {}] };

type Shorthand =
  | ['ExecutionStarted', number, object?]
  | ['TaskStateEntered' | 'MapStateEntered' | 'ParallelStateEntered' | 'ChoiceStateEntered', number, string, object?]
  | ['TaskStateExited' | 'MapStateExited', number, string, object?]
  | ['TaskScheduled' | 'TaskStarted', number]
  | ['MapIterationSucceeded', number, string]
  | ['ExecutionSucceeded' | 'ExecutionAborted' | 'ExecutionTimedOut', number]
  | ['ExecutionFailed', number, string, string];

/** Events in the SDK's shape (what GetExecutionHistory returns on both hosts), from a compact table. */
function history(rows: Shorthand[]): HistoryEvent[] {
  return rows.map((row, index) => {
    const base = { id: index + 1, previousEventId: index, type: row[0], timestamp: at(row[1]) } as HistoryEvent;
    switch (row[0]) {
      case 'ExecutionStarted':
        return { ...base, executionStartedEventDetails: { input: JSON.stringify(row[2] ?? {}) } };
      case 'TaskStateEntered':
      case 'MapStateEntered':
      case 'ParallelStateEntered':
      case 'ChoiceStateEntered':
        return { ...base, stateEnteredEventDetails: { name: row[2], input: JSON.stringify(row[3] ?? {}) } };
      case 'TaskStateExited':
      case 'MapStateExited':
        return { ...base, stateExitedEventDetails: { name: row[2], output: JSON.stringify(row[3] ?? {}) } };
      case 'MapIterationSucceeded':
        return { ...base, mapIterationSucceededEventDetails: { name: row[2], index: 0 } };
      case 'ExecutionFailed':
        return { ...base, executionFailedEventDetails: { error: row[2], cause: row[3] } };
      default:
        return base;
    }
  });
}

/** Today's machine: the splitter ran before the execution, whose input is the plan. */
const todaysVideo: Shorthand[] = [
  ['ExecutionStarted', 19, plan],
  ['ChoiceStateEntered', 19, 'Accepted?'],
  ['ParallelStateEntered', 19, 'FanOut', plan],
  ['MapStateEntered', 19, 'EncodeAudio', plan],
  ['MapStateEntered', 19, 'ResizeImages', plan],
  ['MapStateEntered', 19, 'EncodeChunks', plan],
  ['MapIterationSucceeded', 21, 'ResizeImages'],
  ['MapIterationSucceeded', 22, 'EncodeChunks'],
  ['MapIterationSucceeded', 23, 'EncodeAudio'],
];

/** The state from Split on: the execution input, and the split's plan under `plan`. */
const startedInput = { jobId: 'talk-0123', upload: { bucket: 'fanout-input', key: 'talk.mov', size: 1 }, receivedAt: '2026-01-01T00:00:01.000Z' };
const afterSplit = { ...startedInput, plan };

/** The machine with the splitter as its first Task state: the input is the upload alone. */
const withSplit: Shorthand[] = [
  ['ExecutionStarted', 1, { bucket: 'fanout-input', key: 'talk.mov' }],
  ['TaskStateEntered', 1, 'Split', { bucket: 'fanout-input', key: 'talk.mov' }],
  ['TaskStateExited', 9, 'Split', afterSplit],
  ['ChoiceStateEntered', 9, 'Accepted?', afterSplit],
  ['ParallelStateEntered', 9, 'FanOut', afterSplit],
  ['MapStateEntered', 9, 'EncodeChunks', afterSplit],
  ['MapStateEntered', 9, 'EncodeAudio', afterSplit],
  ['MapStateEntered', 9, 'ResizeImages', afterSplit],
  ['MapIterationSucceeded', 12, 'EncodeChunks'],
  ['MapIterationSucceeded', 13, 'EncodeChunks'],
];

const counts = (chunks: [number, number], audio: [number, number], stills: [number, number]) => ({
  chunks: { done: chunks[0], total: chunks[1] },
  audio: { done: audio[0], total: audio[1] },
  stills: { done: stills[0], total: stills[1] },
});

describe('summarizeProgress', () => {
  const cases: Array<{ name: string; events: Shorthand[]; now: number; expected: Partial<JobProgress> }> = [
    { name: 'no execution yet: the upload waits in the queue', events: [], now: 7, expected: { phase: 'queued', ...counts([0, 0], [0, 0], [0, 0]), sinceUploadMs: 7000 } },
    {
      name: "today's history, mid fan-out: each step counted on its own, time from the upload",
      events: todaysVideo,
      now: 24,
      expected: { phase: 'encoding', ...counts([1, 3], [1, 1], [1, 6]), sinceUploadMs: 24_000 },
    },
    {
      name: "today's history, assembling",
      events: [...todaysVideo, ['MapStateExited', 25, 'EncodeChunks'], ['MapStateExited', 25, 'ResizeImages'], ['TaskStateEntered', 26, 'Assemble', plan]],
      now: 27,
      expected: { phase: 'assembling', ...counts([3, 3], [1, 1], [6, 6]), sinceUploadMs: 27_000 },
    },
    {
      name: 'done: the time since the upload stops at the end (44 s, not the 25 s of work)',
      events: [...todaysVideo, ['TaskStateEntered', 40, 'Assemble', plan], ['ExecutionSucceeded', 44]],
      now: 90,
      expected: { phase: 'done', sinceUploadMs: 44_000, ended: { status: 'SUCCEEDED' } },
    },
    {
      name: 'Split entered: splitting, totals not known yet',
      events: withSplit.slice(0, 2),
      now: 3,
      expected: { phase: 'splitting', ...counts([0, 0], [0, 0], [0, 0]), sinceUploadMs: 3000 },
    },
    {
      name: 'Split scheduled but no worker has started it (AWS events): still queued',
      events: [...withSplit.slice(0, 2), ['TaskScheduled', 1]],
      now: 5,
      expected: { phase: 'queued' },
    },
    {
      name: 'Split started by a worker (AWS events): splitting',
      events: [...withSplit.slice(0, 2), ['TaskScheduled', 1], ['TaskStarted', 4]],
      now: 5,
      expected: { phase: 'splitting' },
    },
    {
      name: "Split exited: encoding, totals from the split's output",
      events: withSplit,
      now: 14,
      expected: { phase: 'encoding', ...counts([2, 3], [0, 1], [0, 6]), sinceUploadMs: 14_000 },
    },
    {
      name: 'an image: stills only',
      events: [
        ['ExecutionStarted', 2, { bucket: 'fanout-input', key: 'photo.jpg' }],
        ['TaskStateEntered', 2, 'Split'],
        ['TaskStateExited', 3, 'Split', { ...startedInput, plan: imagePlan }],
        ['MapStateEntered', 3, 'ResizeImages', { ...startedInput, plan: imagePlan }],
        ['MapIterationSucceeded', 4, 'ResizeImages'],
      ],
      now: 4,
      expected: { phase: 'encoding', ...counts([0, 0], [0, 0], [1, 3]) },
    },
    {
      name: 'a Distributed Map reports no iterations: its exit counts every chunk',
      events: [['ExecutionStarted', 1, plan], ['MapStateEntered', 1, 'EncodeChunksDistributed', plan], ['MapStateExited', 30, 'EncodeChunksDistributed']],
      now: 31,
      expected: { phase: 'encoding', ...counts([3, 3], [0, 1], [0, 6]) },
    },
    {
      name: 'a rejected upload goes straight to the assembler',
      events: [['ExecutionStarted', 1, { ...imagePlan, outcome: 'rejected' }], ['ChoiceStateEntered', 1, 'Accepted?'], ['TaskStateEntered', 1, 'Assemble']],
      now: 2,
      expected: { phase: 'assembling' },
    },
    {
      name: 'ended without a manifest: done, with the error',
      events: [...withSplit, ['ExecutionFailed', 20, 'States.TaskFailed', 'retries exhausted']],
      now: 60,
      expected: { phase: 'done', sinceUploadMs: 20_000, ended: { status: 'FAILED', error: 'States.TaskFailed', cause: 'retries exhausted' } },
    },
    { name: 'aborted', events: [...withSplit.slice(0, 2), ['ExecutionAborted', 5]], now: 9, expected: { phase: 'done', ended: { status: 'ABORTED' } } },
    { name: 'timed out', events: [...todaysVideo, ['ExecutionTimedOut', 30]], now: 99, expected: { phase: 'done', sinceUploadMs: 30_000, ended: { status: 'TIMED_OUT' } } },
  ];

  it.each(cases)('$name', ({ events, now, expected }) => {
    const summary = summarizeProgress(history(events), { uploadedAt: UPLOADED_AT, now: at(now).getTime() });
    expect(summary).toMatchObject(expected);
    if (!expected.ended) expect(summary.ended).toBeUndefined();
  });

  it("counts target mode's CRF searches (the probe Map before the encodes) as a step of their own", () => {
    const targetPlan = { ...plan, probeTasks: [{}, {}, {}] };
    const events: Shorthand[] = [
      ['ExecutionStarted', 1, targetPlan],
      ['ParallelStateEntered', 1, 'FanOut', targetPlan],
      ['MapStateEntered', 1, 'ProbeChunks', targetPlan],
      ['MapIterationSucceeded', 3, 'ProbeChunks'],
      ['MapIterationSucceeded', 4, 'ProbeChunks'],
    ];
    const summarize = (rows: Shorthand[]) => summarizeProgress(history(rows), { uploadedAt: UPLOADED_AT, now: at(5).getTime() });
    expect(summarize(events)).toMatchObject({ phase: 'encoding', probes: { done: 2, total: 3 }, chunks: { done: 0, total: 3 } });
    expect(summarize([...events, ['MapStateExited', 5, 'ProbeChunksDistributed']]).probes).toEqual({ done: 3, total: 3 });
    expect(tasksOf(summarize(events))).toEqual({ done: 2, total: 3 + 3 + 1 + 6 });
    // Without a target there is no probe task: nothing to count.
    expect(summarizeProgress(history(todaysVideo), { uploadedAt: UPLOADED_AT, now: at(24).getTime() }).probes).toEqual({ done: 0, total: 0 });
  });

  it('ignores a payload it cannot read (AWS truncates large ones)', () => {
    const events = history([['ExecutionStarted', 1]]);
    events[0]!.executionStartedEventDetails = { input: '{"chunkTasks": [' };
    expect(summarizeProgress(events, { uploadedAt: UPLOADED_AT, now: at(2).getTime() })).toMatchObject({ phase: 'queued', chunks: { done: 0, total: 0 } });
  });
});
