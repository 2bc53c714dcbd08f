import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { layoutTimeline, MIN_BAR_WIDTH, peakParallelism } from '../../../dashboard/src/jobs/timeline-layout.ts';
import type { ExecutionTimeline, TimelineBar, TimelineLane } from '../../../shared/contracts/api.ts';
import { timelineOf } from '../../../shared/job-timeline.ts';

const GEOMETRY = { width: 1100, labelWidth: 100, rowHeight: 20, axisHeight: 20 };
const T0 = Date.parse('2026-05-01T10:00:00.000Z');

function history(rows: Array<[id: number, previous: number, type: string, atMs: number, details?: Partial<HistoryEvent>]>): HistoryEvent[] {
  return rows.map(([id, previousEventId, type, atMs, details]) => ({ id, previousEventId, type, timestamp: new Date(T0 + atMs), ...details }) as HistoryEvent);
}
const entered = (name: string) => ({ stateEnteredEventDetails: { name } });
const iteration = (index: number) => ({ mapIterationStartedEventDetails: { name: 'EncodeChunks', index } });
const failed = { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'TransientError', cause: 'STORAGE_UNAVAILABLE' } };

/**
 * A local run on one worker: the split (1 s), three chunks scheduled together at 1 s and run one
 * after another (chunk 1 fails once and runs again last), the assembler; 10 s in all.
 */
const oneWorker = history([
  [1, 0, 'ExecutionStarted', 0],
  [2, 1, 'TaskStateEntered', 0, entered('Split')],
  [3, 2, 'TaskScheduled', 0],
  [4, 3, 'TaskStarted', 0],
  [5, 4, 'TaskSucceeded', 1_000],
  [6, 5, 'MapStateEntered', 1_000, entered('EncodeChunks')],
  [7, 6, 'MapIterationStarted', 1_000, iteration(0)],
  [8, 6, 'MapIterationStarted', 1_000, iteration(1)],
  [9, 6, 'MapIterationStarted', 1_000, iteration(2)],
  [10, 7, 'TaskStateEntered', 1_000, entered('EncodeChunk')],
  [11, 8, 'TaskStateEntered', 1_000, entered('EncodeChunk')],
  [12, 9, 'TaskStateEntered', 1_000, entered('EncodeChunk')],
  [13, 10, 'TaskScheduled', 1_000],
  [14, 11, 'TaskScheduled', 1_000],
  [15, 12, 'TaskScheduled', 1_000],
  [16, 13, 'TaskStarted', 1_000],
  [17, 16, 'TaskSucceeded', 3_000],
  [18, 14, 'TaskStarted', 3_000],
  [19, 18, 'TaskFailed', 3_500, failed],
  [20, 15, 'TaskStarted', 3_500],
  [21, 20, 'TaskSucceeded', 5_500],
  [22, 19, 'TaskScheduled', 4_500],
  [23, 22, 'TaskStarted', 5_500],
  [24, 23, 'TaskSucceeded', 9_000],
  [25, 1, 'TaskStateEntered', 9_000, entered('Assemble')],
  [26, 25, 'TaskScheduled', 9_000],
  [27, 26, 'TaskStarted', 9_000],
  [28, 27, 'TaskSucceeded', 10_000],
  [29, 28, 'ExecutionSucceeded', 10_000],
]);

const xAt = (ms: number, span = 10_000) => GEOMETRY.labelWidth + (ms / span) * (GEOMETRY.width - GEOMETRY.labelWidth);

describe('layoutTimeline from an execution history', () => {
  const layout = layoutTimeline(timelineOf(oneWorker), GEOMETRY);
  const row = (label: string) => layout.rows.find((candidate) => candidate.label === label)!;

  it('has a row per task, in step order, each a row height below the last', () => {
    expect(layout.rows.map((candidate) => [candidate.label, candidate.y])).toEqual([
      ['split', 20],
      ['chunk 0', 40],
      ['chunk 1', 60],
      ['chunk 2', 80],
      ['assemble', 100],
    ]);
    expect(layout.height).toBe(120);
  });

  it('places each run from its TaskStarted to its end on one axis, and the wait before it apart', () => {
    const chunk2 = row('chunk 2').bars[0]!;
    expect([chunk2.x, chunk2.width]).toEqual([xAt(3_500), xAt(5_500) - xAt(3_500)]);
    expect([chunk2.waitX, chunk2.waitWidth]).toEqual([xAt(1_000), xAt(3_500) - xAt(1_000)]);
    expect(row('split').bars[0]).toMatchObject({ x: xAt(0), width: xAt(1_000) - xAt(0), waitWidth: 0 });
  });

  it('draws a retried chunk as two bars: the failed try with its error, then the try that succeeded', () => {
    const [first, second] = row('chunk 1').bars;
    expect(first).toMatchObject({ x: xAt(3_000), width: xAt(3_500) - xAt(3_000), bar: { outcome: 'failed', attempt: 1 } });
    expect(first!.description).toContain('TransientError: STORAGE_UNAVAILABLE');
    expect(second).toMatchObject({ x: xAt(5_500), waitX: xAt(4_500), bar: { outcome: 'succeeded', attempt: 2 } });
    expect(layout.summary).toContain('1 retried');
  });

  it('marks the slowest successful chunk, and says so', () => {
    expect(layout.rows.flatMap((candidate) => candidate.bars).filter((box) => box.slowest).map((box) => [box.bar.label, box.bar.attempt])).toEqual([['chunk 1', 2]]);
    expect(layout.summary).toContain('slowest chunk: chunk 1, 3.5 s');
  });

  it('counts one task at a time on one worker: an end frees its slot before a start at the same instant takes it', () => {
    expect(layout.peakParallelism).toBe(1);
    expect(layout.summary).toContain('at most 1 running at once');
  });

  it('labels the axis in round steps, at most 8 of them, from 0', () => {
    expect(layout.ticks.map((tick) => tick.label)).toEqual(['0', '2.0 s', '4.0 s', '6.0 s', '8.0 s', '10 s']);
    expect(layout.ticks[0]!.x).toBe(GEOMETRY.labelWidth);
    expect(layout.ticks.at(-1)!.x).toBe(GEOMETRY.width);
  });
});

const bar = (over: Partial<TimelineBar>): TimelineBar => ({ step: 'encode', label: 'chunk 0', attempt: 1, scheduledMs: 0, startMs: 0, endMs: 0, outcome: 'succeeded', ...over });
const lane = (label: string, bars: TimelineBar[], index?: number): TimelineLane => ({ step: bars[0]!.step, label, ...(index !== undefined && { index }), bars });
const timeline = (durationMs: number, lanes: TimelineLane[], status: ExecutionTimeline['status'] = 'SUCCEEDED'): ExecutionTimeline => ({ status, startedAt: new Date(T0).toISOString(), durationMs, lanes });

describe('layoutTimeline at the edges', () => {
  it('keeps a task of a few milliseconds visible, and inside the picture', () => {
    const layout = layoutTimeline(timeline(60_000, [lane('chunk 0', [bar({ startMs: 59_999, endMs: 60_000 })], 0)]), GEOMETRY);
    const box = layout.rows[0]!.bars[0]!;
    expect(box.width).toBeGreaterThan(0);
    expect(box.x + box.width).toBeLessThanOrEqual(GEOMETRY.width);
    const early = layoutTimeline(timeline(60_000, [lane('chunk 0', [bar({ startMs: 0, endMs: 1 })], 0)]), GEOMETRY);
    expect(early.rows[0]!.bars[0]!.width).toBe(MIN_BAR_WIDTH);
  });

  it('has a scale for a timeline read at its first event (no time has passed)', () => {
    const layout = layoutTimeline(timeline(0, [lane('split', [bar({ step: 'split', label: 'split', outcome: 'running' })])], 'RUNNING'), GEOMETRY);
    expect(layout.rows[0]!.bars[0]!.x).toBe(GEOMETRY.labelWidth);
    expect(layout.ticks.map((tick) => tick.label)).toEqual(['0']);
  });

  it('marks no slowest chunk when there is one chunk, or none succeeded', () => {
    expect(layoutTimeline(timeline(5_000, [lane('chunk 0', [bar({ endMs: 4_000 })], 0)]), GEOMETRY).rows[0]!.bars[0]!.slowest).toBe(false);
    const failedOnly = layoutTimeline(timeline(5_000, [lane('chunk 0', [bar({ endMs: 4_000, outcome: 'failed' })], 0), lane('chunk 1', [bar({ endMs: 1_000, outcome: 'failed' })], 1)]), GEOMETRY);
    expect(failedOnly.rows.flatMap((candidate) => candidate.bars).some((box) => box.slowest)).toBe(false);
  });

  it('counts parallel chunks as parallel', () => {
    const parallel = timeline(3_000, [0, 1, 2].map((index) => lane(`chunk ${index}`, [bar({ index, startMs: 100 * index, endMs: 2_000 })], index)));
    expect(peakParallelism(parallel)).toBe(3);
  });

  it('picks coarser ticks for an hour-long job', () => {
    const layout = layoutTimeline(timeline(3_600_000, []), GEOMETRY);
    expect(layout.ticks.length).toBeLessThanOrEqual(9);
    expect(layout.ticks[1]!.label).toBe('10 min 0 s');
  });
});
