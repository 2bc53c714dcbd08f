/**
 * The benchmark's arithmetic, pure: medians, pair-by-pair ratios, where A's wall time went
 * (from the function host's invocation spans), the modelled critical path and the modelled bill.
 * Everything here is a function of recorded numbers, so the unit test replays recorded rounds.
 */
import { priceJob } from '../shared/job-cost.ts';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** a[i] / b[i] for each pair (round i ran A and B back to back). */
export function pairRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new RangeError(`${a.length} A values but ${b.length} B values`);
  return a.map((value, index) => value / b[index]!);
}

export interface Span {
  startMs: number;
  endMs: number;
}

/**
 * How much of [window.startMs, window.endMs] no span covers: the time during which no pipeline
 * function was running (upload trigger, Step Functions transitions, worker start, polling).
 */
export function uncoveredMs(window: Span, spans: readonly Span[]): number {
  const clipped = spans
    .map((span) => ({ startMs: Math.max(span.startMs, window.startMs), endMs: Math.min(span.endMs, window.endMs) }))
    .filter((span) => span.endMs > span.startMs)
    .sort((a, b) => a.startMs - b.startMs);
  let covered = 0;
  let reach = window.startMs;
  for (const span of clipped) {
    if (span.endMs <= reach) continue;
    covered += span.endMs - Math.max(span.startMs, reach);
    reach = span.endMs;
  }
  return window.endMs - window.startMs - covered;
}

export interface StepTimings {
  splitMs: number;
  chunkMs: readonly number[];
  audioMs?: number;
  assembleMs: number;
}

/**
 * What one job would take with every chunk on its own Lambda at once (modelled, from the steps
 * measured here): split, then the slowest of the chunks and the audio (they run side by side),
 * then assemble.
 */
export function modelledCriticalPathMs({ splitMs, chunkMs, audioMs = 0, assembleMs }: StepTimings): number {
  return splitMs + Math.max(audioMs, ...chunkMs, 0) + assembleMs;
}

export interface InvocationCost {
  /** Function name, as the function host records it. */
  name: string;
  durationMs: number;
}

export interface CostModel {
  gbSeconds: number;
  requests: number;
  stateTransitions: number;
  lambdaUsd: number;
  stepFunctionsUsd: number;
  totalUsd: number;
  usdPerSourceMinute: number;
}

/** The pipeline's own pricing (shared/job-cost.ts, as the manifest's `cost`), per minute of source: one price table. */
export function modelCost(options: { invocations: readonly InvocationCost[]; memoryMiB: Readonly<Record<string, number>>; stateTransitions: number; sourceSeconds: number }): CostModel {
  const { invocations, memoryMiB, stateTransitions, sourceSeconds } = options;
  const billed = invocations.map((invocation) => {
    const memory = memoryMiB[invocation.name];
    if (memory === undefined) throw new RangeError(`no memory size for function ${invocation.name}`);
    return { fn: invocation.name, memoryMiB: memory, durationMs: invocation.durationMs, attempts: 1 };
  });
  const cost = priceJob({ invocations: billed, transitions: stateTransitions, host: 'local' });
  return {
    gbSeconds: cost.lambda.gbSeconds,
    requests: cost.lambda.invocations,
    stateTransitions,
    lambdaUsd: cost.lambda.usd,
    stepFunctionsUsd: cost.stepFunctions.usd,
    totalUsd: cost.totalUsd,
    usdPerSourceMinute: (cost.totalUsd * 60) / sourceSeconds,
  };
}

export const GOALS = {
  wallRatioTwoCores: 1.1,
  cpuRatioTwoCores: 1.05,
  psnrDeltaDb: 0.3,
  sizeRatio: 1.05,
  orchestrationMsPerChunk: 100,
  imageThroughputRatio: 0.9,
  usdPerSourceMinute: 0.02,
} as const;
