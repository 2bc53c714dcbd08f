/**
 * The fan-out picture's geometry, from the API's timeline (itself read from the execution
 * history): one row per lane, one bar per attempt on a shared time axis, the wait before each
 * attempt started drawn apart from the run, the slowest encode marked. Pure: the chart only
 * draws what this returns.
 */
import type { ExecutionTimeline, TimelineBar, TimelineStep } from '../../../shared/contracts/api.ts';
import { formatMs } from '../format.ts';

export interface TimelineGeometry {
  width: number;
  /** Left column for the lanes' labels. */
  labelWidth: number;
  rowHeight: number;
  /** Room above the first row for the axis' labels. */
  axisHeight: number;
}

export interface BarBox {
  bar: TimelineBar;
  /** The run: TaskStarted to its end. At least MIN_BAR_WIDTH wide, so a 20 ms task still shows. */
  x: number;
  width: number;
  /** The wait for a worker: TaskScheduled to TaskStarted (0 wide when there was none). */
  waitX: number;
  waitWidth: number;
  /** The longest successful encode: the chunk that held the job up. */
  slowest: boolean;
  /** What a pointer or a screen reader is told. */
  description: string;
}

export interface RowBox {
  label: string;
  step: TimelineStep;
  y: number;
  bars: BarBox[];
}

export interface TimelineLayout {
  width: number;
  height: number;
  geometry: TimelineGeometry;
  rows: RowBox[];
  ticks: Array<{ x: number; label: string }>;
  /** The most attempts running at one instant. */
  peakParallelism: number;
  /** One sentence for the picture's text alternative. */
  summary: string;
}

export const MIN_BAR_WIDTH = 2;
const TICK_STEPS_MS = [100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
const MAX_TICKS = 8;

export function layoutTimeline(timeline: ExecutionTimeline, geometry: TimelineGeometry): TimelineLayout {
  const plotWidth = Math.max(1, geometry.width - geometry.labelWidth);
  // Never zero: a timeline read at its first event still has a scale.
  const spanMs = Math.max(timeline.durationMs, ...timeline.lanes.flatMap((lane) => lane.bars.map((bar) => bar.endMs)), 1);
  const xOf = (ms: number) => geometry.labelWidth + (Math.min(ms, spanMs) / spanMs) * plotWidth;
  const slowest = slowestEncode(timeline);

  const rows = timeline.lanes.map((lane, index): RowBox => ({
    label: lane.label,
    step: lane.step,
    y: geometry.axisHeight + index * geometry.rowHeight,
    bars: lane.bars.map((bar) => {
      const x = xOf(bar.startMs);
      const waitX = xOf(Math.min(bar.scheduledMs, bar.startMs));
      const width = Math.min(Math.max(xOf(bar.endMs) - x, MIN_BAR_WIDTH), geometry.width - x);
      return { bar, x, width: Math.max(width, 0), waitX, waitWidth: x - waitX, slowest: bar === slowest, description: describeBar(bar, bar === slowest) };
    }),
  }));

  const tickMs = TICK_STEPS_MS.find((step) => spanMs / step <= MAX_TICKS) ?? TICK_STEPS_MS.at(-1)!;
  const ticks = [];
  for (let ms = 0; ms <= spanMs; ms += tickMs) ticks.push({ x: xOf(ms), label: ms === 0 ? '0' : formatMs(ms) });

  const peak = peakParallelism(timeline);
  const encodes = timeline.lanes.filter((lane) => lane.step === 'encode').length;
  const retried = timeline.lanes.filter((lane) => lane.bars.length > 1).length;
  const summary = [
    `${timeline.lanes.length} tasks over ${formatMs(timeline.durationMs)}`,
    encodes > 0 ? `${encodes} chunk encodes` : undefined,
    `at most ${peak} running at once`,
    retried > 0 ? `${retried} retried` : undefined,
    slowest ? `slowest chunk: ${slowest.label}, ${formatMs(slowest.endMs - slowest.startMs)}` : undefined,
  ]
    .filter(Boolean)
    .join('; ');

  return { width: geometry.width, height: geometry.axisHeight + rows.length * geometry.rowHeight, geometry, rows, ticks, peakParallelism: peak, summary: `${summary}.` };
}

/** The most attempts running at one instant (a bar's end frees its slot before an equal start takes one). */
export function peakParallelism(timeline: ExecutionTimeline): number {
  const edges = timeline.lanes.flatMap((lane) => lane.bars.flatMap((bar) => [{ at: bar.startMs, delta: 1 }, { at: bar.endMs, delta: -1 }]));
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let peak = 0;
  for (const edge of edges) {
    running += edge.delta;
    peak = Math.max(peak, running);
  }
  return peak;
}

/** The longest succeeded encode attempt, when there are two chunks or more to compare. */
function slowestEncode(timeline: ExecutionTimeline): TimelineBar | undefined {
  const encodes = timeline.lanes.filter((lane) => lane.step === 'encode' && lane.index !== undefined).flatMap((lane) => lane.bars.filter((bar) => bar.outcome === 'succeeded'));
  if (encodes.length < 2) return undefined;
  return encodes.reduce((longest, bar) => (bar.endMs - bar.startMs > longest.endMs - longest.startMs ? bar : longest));
}

function describeBar(bar: TimelineBar, slowest: boolean): string {
  const waited = bar.startMs - bar.scheduledMs;
  return [
    `${bar.label}${bar.attempt > 1 ? `, attempt ${bar.attempt}` : ''}: ${bar.outcome}`,
    `ran ${formatMs(bar.endMs - bar.startMs)} from ${formatMs(bar.startMs)}`,
    waited > 0 ? `waited ${formatMs(waited)} to start` : undefined,
    slowest ? 'the slowest chunk' : undefined,
    bar.error,
  ]
    .filter(Boolean)
    .join('; ');
}
