/**
 * How far a job has got, read from its execution history: the queue wait, the split, the
 * fan-out (target mode's CRF searches, chunks, audio, stills, each counted on its own), the
 * assembly, the end. Pure: the
 * same events give the same summary on AWS and on the local host, with or without a `Split`
 * state at the head of the state machine.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export type JobPhase = 'queued' | 'splitting' | 'encoding' | 'assembling' | 'done';
export interface StepCount {
  done: number;
  total: number;
}
export interface ExecutionEnd {
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  error?: string;
  cause?: string;
}
export interface JobProgress {
  phase: JobPhase;
  /** Target mode's CRF searches, one per chunk (0 of 0 without a quality target). */
  probes: StepCount;
  chunks: StepCount;
  audio: StepCount;
  stills: StepCount;
  /** From the upload to now, or to the execution's end once it ended. */
  sinceUploadMs: number;
  /** Set once the execution ended: how, and why when it did not succeed. */
  ended?: ExecutionEnd;
}

/** The fan-out's steps, in the order a job meets them. */
export const PROGRESS_STEPS = ['probes', 'chunks', 'audio', 'stills'] as const;
export type ProgressStep = (typeof PROGRESS_STEPS)[number];
type Step = ProgressStep;
/** The fan-out's Map states, by the step each counts. */
const MAP_STEPS: Record<string, Step> = {
  ProbeChunks: 'probes',
  ProbeChunksDistributed: 'probes',
  EncodeChunks: 'chunks',
  EncodeChunksDistributed: 'chunks',
  EncodeAudio: 'audio',
  ResizeImages: 'stills',
};
/** The plan's task lists (the Maps' items), as the execution input or the split's output carries them. */
const TASK_LISTS: Record<Step, string> = { probes: 'probeTasks', chunks: 'chunkTasks', audio: 'audioTasks', stills: 'imageTasks' };
const SPLIT = 'Split';
const ASSEMBLE = 'Assemble';
const FAN_OUT_STATES = new Set(['FanOut', ...Object.keys(MAP_STEPS)]);
const PHASE_ORDER: JobPhase[] = ['queued', 'splitting', 'encoding', 'assembling', 'done'];

export function summarizeProgress(events: readonly HistoryEvent[], { uploadedAt, now }: { uploadedAt: number; now: number }): JobProgress {
  const counts = Object.fromEntries(PROGRESS_STEPS.map((step) => [step, { done: 0, total: 0 }])) as Record<Step, StepCount>;
  let phase = 'queued' as JobPhase; // widened: reach() moves it on
  const reach = (next: JobPhase) => {
    if (PHASE_ORDER.indexOf(next) > PHASE_ORDER.indexOf(phase)) phase = next;
  };
  // Both hosts schedule a task before a worker starts it (TaskScheduled, then TaskStarted): a
  // Split scheduled but not started is still queued. A history without either counts as running.
  let splitWaitsForWorker = false;
  let ended: ExecutionEnd | undefined;
  let endedAt: number | undefined;

  for (const event of events) {
    const entered = event.stateEnteredEventDetails;
    const exited = event.stateExitedEventDetails;
    switch (event.type) {
      case 'ExecutionStarted':
        readTotals(event.executionStartedEventDetails?.input, counts);
        break;
      case 'TaskStateEntered':
        if (entered?.name === SPLIT) reach('splitting');
        if (entered?.name === ASSEMBLE) reach('assembling');
        break;
      case 'TaskScheduled':
        if (phase === 'splitting') splitWaitsForWorker = true;
        break;
      case 'TaskStarted':
        splitWaitsForWorker = false;
        break;
      case 'TaskStateExited':
        if (exited?.name === SPLIT) {
          readTotals(exited.output, counts);
          reach('encoding');
        }
        break;
      case 'MapStateEntered':
      case 'ParallelStateEntered':
        if (entered && FAN_OUT_STATES.has(entered.name ?? '')) {
          readTotals(entered.input, counts);
          reach('encoding');
        }
        break;
      case 'MapIterationSucceeded': {
        const step = MAP_STEPS[event.mapIterationSucceededEventDetails?.name ?? ''];
        if (step) counts[step].done++;
        break;
      }
      case 'MapStateExited': {
        // A Distributed Map runs its items as child executions and reports no iterations.
        const step = MAP_STEPS[exited?.name ?? ''];
        if (step) counts[step].done = counts[step].total;
        break;
      }
      case 'ExecutionSucceeded':
        ended = { status: 'SUCCEEDED' };
        break;
      case 'ExecutionFailed':
        ended = { status: 'FAILED', ...defined(event.executionFailedEventDetails) };
        break;
      case 'ExecutionAborted':
        ended = { status: 'ABORTED', ...defined(event.executionAbortedEventDetails) };
        break;
      case 'ExecutionTimedOut':
        ended = { status: 'TIMED_OUT', ...defined(event.executionTimedOutEventDetails) };
        break;
    }
    if (ended && endedAt === undefined) {
      endedAt = event.timestamp?.getTime() ?? now;
      reach('done');
    }
  }
  if (phase === 'splitting' && splitWaitsForWorker) phase = 'queued';
  // Totals come from the plan; where it could not be read, what was done is the least there is.
  for (const count of Object.values(counts)) count.total = Math.max(count.total, count.done);
  return { phase, ...counts, sinceUploadMs: Math.max(0, (endedAt ?? now) - uploadedAt), ...(ended && { ended }) };
}

/** Every step's tasks together: done of planned. */
export function tasksOf(progress: Pick<JobProgress, ProgressStep>): StepCount {
  return PROGRESS_STEPS.reduce((sum, step) => ({ done: sum.done + progress[step].done, total: sum.total + progress[step].total }), { done: 0, total: 0 });
}

/** The task lists' lengths, from a state's input or output; a document without them changes nothing. */
function readTotals(json: string | undefined, counts: Record<Step, StepCount>): void {
  if (!json) return;
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    return; // a truncated payload (AWS cuts them at 256 KB) tells nothing
  }
  if (typeof document !== 'object' || document === null) return;
  // The split's plan sits under `plan` in the state from Split on; a Map's own input may carry the lists at the top.
  const plan = (document as Record<string, unknown>).plan;
  const holder = (typeof plan === 'object' && plan !== null ? plan : document) as Record<string, unknown>;
  for (const [step, list] of Object.entries(TASK_LISTS) as Array<[Step, string]>) {
    const items = holder[list];
    if (Array.isArray(items)) counts[step].total = items.length;
  }
}

function defined(details: { error?: string; cause?: string } | undefined): { error?: string; cause?: string } {
  return { ...(details?.error && { error: details.error }), ...(details?.cause && { cause: details.cause }) };
}
