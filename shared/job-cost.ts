/**
 * What a job costs, or would cost, on AWS at list prices: its Lambda invocations (requests and
 * GB-seconds) and its Step Functions Standard state transitions. Pure: the assembler (and the
 * finalizer) hand it what was measured, it returns the manifest's `cost`.
 *
 * Not counted, and said so in docs/outputs.md: S3 requests and storage, data transfer,
 * CloudFront, CloudWatch, the starter's and the finalizer's own invocations, Lambda ephemeral
 * storage past the free 512 MB (about 1% of the duration charge at these sizes), the free tiers.
 */
import { z } from 'zod';
import type { JobCost } from './contracts/manifest.ts';
import { EncodeResult, ImageTaskResult, SplitResult } from './contracts/work-plan.ts';

/**
 * The list prices, in one place: US East (N. Virginia), read on the date below from
 * https://aws.amazon.com/lambda/pricing/ and https://aws.amazon.com/step-functions/pricing/.
 * Lambda duration is the Arm price (every function is arm64: infra/cdk/fanout-function.ts),
 * first tier (the first 7.5 billion GB-seconds a month).
 */
export const LIST_PRICES = {
  region: 'us-east-1',
  asOf: '2026-12-03',
  /** Arm: $0.0000133334 per GB-second. */
  lambdaGbSecondUsd: 0.0000133334,
  /** $0.20 per million requests. */
  lambdaRequestUsd: 0.2 / 1_000_000,
  /** Standard workflows: $0.025 per 1,000 state transitions. */
  stateTransitionUsd: 0.025 / 1_000,
} as const satisfies JobCost['prices'];

/** One task of the job as Lambda billed it: every try is a request and runs for its duration. */
export interface BilledInvocation {
  /** The function (for reading a cost by eye; the price does not depend on it). */
  fn: string;
  /** The memory the function ran with, from its Lambda context. */
  memoryMiB: number;
  /** How long the try that succeeded ran. */
  durationMs: number;
  /** Tries, the one that succeeded included. */
  attempts: number;
}

export type CostHost = 'aws' | 'local';

/** `measured` where Lambda ran the functions; on the local host the durations are this machine's, the prices AWS's. */
export function costBasis(host: CostHost): JobCost['basis'] {
  return host === 'aws' ? 'measured' : 'modelled';
}

export function priceJob(args: { invocations: readonly BilledInvocation[]; transitions: number; host: CostHost; prices?: JobCost['prices'] }): JobCost {
  const prices = args.prices ?? LIST_PRICES;
  let requests = 0;
  let gbSeconds = 0;
  for (const { memoryMiB, durationMs, attempts } of args.invocations) {
    requests += attempts;
    // Lambda bills duration rounded up to the next millisecond, memory in GB of 1024 MB. The tries
    // that failed left no measured duration: each is counted at the successful try's, an estimate
    // (a try that timed out ran longer, one that failed fast ran shorter).
    gbSeconds += attempts * (memoryMiB / 1024) * (Math.ceil(durationMs) / 1000);
  }
  const lambdaUsd = requests * prices.lambdaRequestUsd + gbSeconds * prices.lambdaGbSecondUsd;
  const stepFunctionsUsd = args.transitions * prices.stateTransitionUsd;
  return {
    currency: 'USD',
    totalUsd: roundUsd(lambdaUsd + stepFunctionsUsd),
    basis: costBasis(args.host),
    lambda: { invocations: requests, gbSeconds: round(gbSeconds, 6), usd: roundUsd(lambdaUsd) },
    stepFunctions: { transitions: args.transitions, usd: roundUsd(stepFunctionsUsd) },
    prices,
  };
}

/** How far an execution went through the state machine, and what it fanned out. */
export interface ExecutionPath {
  /** `caught`: the splitter crashed or timed out past its retries, and Split's Catch went straight to Assemble. */
  split: 'planned' | 'caught';
  /** The plan's outcome, when the split returned one. */
  outcome?: 'accepted' | 'rejected' | 'failed';
  fanOut?: 'inline' | 'distributed';
  /** Target mode's CRF searches, one per chunk (probe tasks). */
  probeTasks?: number;
  chunkTasks?: number;
  audioTasks?: number;
  imageTasks?: number;
  /** The tries past the first, of every task state: Step Functions bills each retry as a transition. */
  retries?: number;
}

/**
 * The Standard state transitions of one execution of infra/cdk/pipeline-state-machine.ts,
 * from the plan of which states it enters. AWS bills "a state transition each time a step of
 * your workflow is executed ... including retries": one per state entered (Task, Choice,
 * Parallel, Map, Pass, Succeed, Fail; a Map's iterations enter its item states once each),
 * plus one per retry, which enters no state again but runs its step again. That is the count
 * of `*StateEntered` events in GetExecutionHistory plus the retries (test/integration/job-cost
 * checks the first part against a real local execution's history).
 *
 * The distributed Maps run their chunks as Express child executions, which bill per request
 * and duration, not per transition: only their own states and the Pass states after them are counted here.
 * When the fan-out failed and was caught, the planned iterations are counted, though a Map
 * stops starting new ones once one has failed: an upper bound.
 */
export function countStateTransitions(path: ExecutionPath): number {
  // Split; then Assemble, `Job failed?`, and Failed or Done (one state either way): every execution that reaches the assembler.
  const ends = 3;
  const retries = path.retries ?? 0;
  if (path.split === 'caught') return 1 + ends + retries;
  // `Accepted?`
  const planned = 1 + 1;
  if (path.outcome !== 'accepted') return planned + ends + retries;
  const probes = path.probeTasks ?? 0;
  const chunks = path.fanOut === 'distributed'
    ? // `Search CRFs? (distributed)`, ProbeChunksDistributed (target mode), NoProbeTimings, EncodeChunksDistributed, NoChunkTimings, VideoResults.
      1 + (probes > 0 ? 1 : 0) + 1 + 1 + 1 + 1
    : // `Search CRFs?`, ProbeChunks and its searches or NoProbes, EncodeChunks and its chunks, VideoResults.
      1 + 1 + probes + 1 + (path.chunkTasks ?? 0) + 1;
  // FanOut (Parallel); `Distributed?` and the video states; EncodeAudio and its tracks; ResizeImages and its images.
  const fanOut = 1 + 1 + chunks + 1 + (path.audioTasks ?? 0) + 1 + (path.imageTasks ?? 0);
  return planned + fanOut + ends + retries;
}

function round(value: number, places: number): number {
  const scale = 10 ** places;
  return Math.round(value * scale) / scale;
}

/** Dollars to a trillionth: a single short request is $0.0000002, and past 12 places a sum of floats says only noise. */
function roundUsd(usd: number): number {
  return round(usd, 12);
}

/**
 * What a task result carries for its cost: the memory its function runs with, as Lambda's
 * context reports it (the local host's context reports the template's MemorySize), so no second
 * table of sizes can drift from the deployed one.
 */
export function memoryOf(context: { memoryLimitInMB: string | number } | undefined): { memoryMiB?: number } {
  const memoryMiB = Number(context?.memoryLimitInMB);
  return Number.isInteger(memoryMiB) && memoryMiB > 0 ? { memoryMiB } : {};
}

/** The fields of a GetExecutionHistory event that the cost reads (the SDK's HistoryEvent fits). */
export interface CostHistoryEvent {
  type?: string;
  stateExitedEventDetails?: { name?: string; output?: string };
}

/** What a task state's exit carries: a fan-out task's result, or the execution's state with the splitter's plan in it. */
const FanOutTaskResult = z.union([EncodeResult.extend({ fn: z.literal('encoder').default('encoder') }), ImageTaskResult.extend({ fn: z.literal('image-resize').default('image-resize') })]);
const StateWithPlan = z.object({ plan: SplitResult });

/**
 * The cost of an execution read from its history, for a manifest written without the assembler
 * (the finalizer's: the execution timed out, was stopped, or the assembler failed past its
 * retries). The transitions are the states entered plus the retries the task results report;
 * the invocations are the split and every fan-out task that returned (each with its tries,
 * duration and memory). Tasks still running or failed at the end left no result, and the
 * assembler none: they are not counted, so this is a floor.
 */
export function costFromHistory(events: readonly CostHistoryEvent[], host: CostHost): JobCost {
  const invocations: BilledInvocation[] = [];
  let entered = 0;
  let tasksEntered = 0;
  let tasksExited = 0;
  for (const event of events) {
    if (event.type?.endsWith('StateEntered')) entered++;
    if (event.type === 'TaskStateEntered') tasksEntered++;
    if (event.type !== 'TaskStateExited') continue;
    tasksExited++;
    const output = parseJson(event.stateExitedEventDetails?.output);
    const task = FanOutTaskResult.safeParse(output);
    if (task.success) {
      invocations.push({ fn: task.data.fn, memoryMiB: task.data.memoryMiB ?? 0, durationMs: task.data.durationMs, attempts: task.data.attempts });
      continue;
    }
    // Every task after Split passes the whole state on, the plan in it: the first one is the split's.
    const split = invocations.some(({ fn }) => fn === 'splitter') ? undefined : StateWithPlan.safeParse(output);
    if (split?.success) invocations.push({ fn: 'splitter', memoryMiB: split.data.plan.memoryMiB ?? 0, durationMs: split.data.plan.splitMs, attempts: 1 });
  }
  // A task entered that never returned (stopped, timed out, failed) was still invoked and billed
  // its request; its duration is unknown: counted at none.
  const retries = invocations.reduce((sum, invocation) => sum + invocation.attempts - 1, 0);
  const unfinished = tasksEntered - tasksExited;
  if (unfinished > 0) invocations.push({ fn: 'unfinished tasks', memoryMiB: 0, durationMs: 0, attempts: unfinished });
  return priceJob({ invocations, transitions: entered + retries, host });
}

function parseJson(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
