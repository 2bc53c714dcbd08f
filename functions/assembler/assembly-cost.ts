/**
 * The job's cost as the assembler sees it at the end of an execution: the splitter's and each
 * fan-out task's measured duration, tries and memory (their results carry them), its own, and
 * the state transitions the execution made on its way here (shared/job-cost.ts prices them).
 */
import type { JobCost } from '../../shared/contracts/manifest.ts';
import type { AssembleInput } from '../../shared/contracts/work-plan.ts';
import { countStateTransitions, priceJob, type BilledInvocation, type CostHost } from '../../shared/job-cost.ts';

export interface AssemblerRun {
  host: CostHost;
  /** The assembler's own memory (its Lambda context), and its time up to the manifest's write. */
  memoryMiB?: number;
  durationMs: number;
}

export function assemblyCost(input: AssembleInput, run: AssemblerRun): JobCost {
  const { plan, results } = input;
  const tasks = [
    ...(results?.probeResults ?? []).map((result) => ({ fn: 'encoder', ...result })),
    ...(results?.chunkResults ?? []).map((result) => ({ fn: 'encoder', ...result })),
    ...(results?.audioResults ?? []).map((result) => ({ fn: 'encoder', ...result })),
    ...(results?.imageResults ?? []).map((result) => ({ fn: 'image-resize', ...result })),
  ];
  const invocations: BilledInvocation[] = [
    // A split that crashed or timed out (caught, no plan) left neither duration nor memory: one
    // request is counted, its duration cannot be. Split and Assemble report no retry count (their
    // payloads are the execution's state): each is counted as one try.
    plan ? { fn: 'splitter', memoryMiB: plan.memoryMiB ?? 0, durationMs: plan.splitMs, attempts: 1 } : { fn: 'splitter', memoryMiB: 0, durationMs: 0, attempts: 1 },
    // A fan-out that failed and was caught returns no results: its tasks are not counted.
    ...tasks.map(({ fn, memoryMiB, durationMs, attempts }) => ({ fn, memoryMiB: memoryMiB ?? 0, durationMs, attempts })),
    { fn: 'assembler', memoryMiB: run.memoryMiB ?? 0, durationMs: run.durationMs, attempts: 1 },
  ];
  const transitions = countStateTransitions({
    split: plan ? 'planned' : 'caught',
    ...(plan
      ? { outcome: plan.outcome, fanOut: plan.fanOut ?? 'inline', probeTasks: plan.probeTasks?.length ?? 0, chunkTasks: plan.chunkTasks?.length ?? 0, audioTasks: plan.audioTasks?.length ?? 0, imageTasks: plan.imageTasks.length }
      : {}),
    retries: tasks.reduce((sum, task) => sum + task.attempts - 1, 0),
  });
  return priceJob({ invocations, transitions, host: run.host });
}
