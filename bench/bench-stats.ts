/**
 * The benchmark's arithmetic, pure: medians, pair-by-pair ratios, where A's wall time went
 * (from the function host's invocation spans), the modelled critical path and the modelled bill.
 * Everything here is a function of recorded numbers, so the unit test replays recorded rounds.
 */

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

/**
 * AWS list prices, us-east-1, as published on aws.amazon.com/lambda/pricing and
 * aws.amazon.com/step-functions/pricing. Checked 2026-11 (the Step Functions page, and 2026
 * summaries of the Lambda page; unchanged since 2025-06); check again before quoting them:
 *   Lambda arm64 $0.0000133334 per GB-second (first 7.5 billion GB-s a month), $0.20 per 1M requests;
 *   Step Functions Standard $0.025 per 1,000 state transitions.
 */
export const PRICES = {
  asOf: '2026-11',
  region: 'us-east-1',
  lambdaArm64PerGbSecond: 0.0000133334,
  lambdaPerRequest: 0.2 / 1e6,
  stepFunctionsPerTransition: 0.025 / 1000,
} as const;

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

/** Lambda bills each invocation's duration, rounded up to the millisecond, times its memory. */
export function modelCost(options: { invocations: readonly InvocationCost[]; memoryMiB: Readonly<Record<string, number>>; stateTransitions: number; sourceSeconds: number }): CostModel {
  const { invocations, memoryMiB, stateTransitions, sourceSeconds } = options;
  let gbSeconds = 0;
  for (const invocation of invocations) {
    const memory = memoryMiB[invocation.name];
    if (memory === undefined) throw new RangeError(`no memory size for function ${invocation.name}`);
    gbSeconds += (Math.ceil(invocation.durationMs) / 1000) * (memory / 1024);
  }
  const lambdaUsd = gbSeconds * PRICES.lambdaArm64PerGbSecond + invocations.length * PRICES.lambdaPerRequest;
  const stepFunctionsUsd = stateTransitions * PRICES.stepFunctionsPerTransition;
  const totalUsd = lambdaUsd + stepFunctionsUsd;
  return { gbSeconds, requests: invocations.length, stateTransitions, lambdaUsd, stepFunctionsUsd, totalUsd, usdPerSourceMinute: (totalUsd * 60) / sourceSeconds };
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
