/**
 * The local stand-in for Lambda: each invocation runs the real handler in a worker process with
 * the function's deployed environment, its own /tmp and its timeout. Concurrency is bounded
 * across all functions (default: one per core); idle workers exit.
 *
 * Lambda gives every invocation its own sandbox; here they share a few cores and wait in one
 * queue. That queue serves later pipeline stages first, so jobs already under way finish before
 * new uploads start theirs: with a plain FIFO, one job's assembler waited behind every resize
 * that the uploads after it had queued.
 */
import { availableParallelism } from 'node:os';
import { mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import PQueue from 'p-queue';
import { Tinypool } from 'tinypool';
import type { FunctionName } from '../cdk/fanout-function.ts';
import type { LocalFunction } from './local-deployment.ts';
import type { Invocation, InvocationOutcome } from './lambda-worker.ts';

export interface FunctionHostOptions {
  functions: LocalFunction[];
  /** Endpoints, credentials and region of the local stack, layered over each function's own environment. */
  runtimeEnvironment: Record<string, string>;
  tmpRoot: string;
  concurrency?: number;
  idleTimeoutMs?: number;
}

export interface InvocationStats {
  invocations: number;
  errors: number;
}

/** One invocation's place in time (epoch ms), for measuring where a job's wall time goes. */
export interface InvocationSpan {
  name: string;
  startMs: number;
  endMs: number;
  ok: boolean;
}

export interface InvokeOptions {
  /**
   * Told when a worker begins the invocation (epoch ms), after its wait in the queue: the time
   * Lambda starts one on AWS, which Step Functions records as TaskStarted.
   */
  onStart?: (startMs: number) => void;
}

export interface FunctionHost {
  invoke(functionArnOrName: string, event: unknown, options?: InvokeOptions): Promise<unknown>;
  /** The most recent invocations (at most INVOCATION_HISTORY), oldest first. */
  invocations(): InvocationSpan[];
  /** Invocations and failed invocations so far, by function name: what CloudWatch's Invocations and Errors count. */
  stats(): Record<string, InvocationStats>;
  close(): Promise<void>;
}

/** How a failed invocation surfaces to Step Functions: `name` is Lambda's errorType, `message` its error payload. */
export class LambdaInvocationError extends Error {
  constructor(errorType: string, errorMessage: string, trace: string[] = []) {
    super(JSON.stringify({ errorType, errorMessage, trace }));
    this.name = errorType;
  }
}

const INVOCATION_HISTORY = 10_000;

/**
 * Which waiting invocation runs first when a worker frees up: the one nearest its job's end. The
 * starter and the finalizer take milliseconds and decide when a job starts or gets its answer;
 * the api answers a caller waiting on HTTP.
 */
export const QUEUE_PRIORITY: Record<FunctionName, number> = { api: 6, starter: 5, finalizer: 4, 'webhook-delivery': 4, assembler: 3, 'image-resize': 2, encoder: 1, splitter: 0 };

const workerFile = fileURLToPath(new URL('./lambda-worker.ts', import.meta.url));

export async function startFunctionHost(options: FunctionHostOptions): Promise<FunctionHost> {
  const concurrency = options.concurrency ?? availableParallelism();
  const queue = new PQueue({ concurrency });
  await mkdir(options.tmpRoot, { recursive: true });

  const pools = new Map(
    options.functions.map((fn) => {
      const pool = new Tinypool({
        filename: workerFile,
        runtime: 'child_process',
        minThreads: 0,
        maxThreads: concurrency,
        idleTimeout: options.idleTimeoutMs ?? 30_000,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/tmp',
          LANG: 'C.UTF-8',
          ...fn.environment,
          ...options.runtimeEnvironment,
          AWS_LAMBDA_FUNCTION_NAME: fn.arn.split(':').pop() ?? fn.name,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMiB),
          FANOUT_WORKER_TMP_ROOT: `${options.tmpRoot}/${fn.name}`,
        },
      });
      return [fn, pool] as const;
    }),
  );

  const counters = new Map(options.functions.map((fn) => [fn.name, { invocations: 0, errors: 0 }]));
  const spans: InvocationSpan[] = [];
  const record = (span: InvocationSpan) => {
    spans.push(span);
    if (spans.length > INVOCATION_HISTORY) spans.shift();
  };
  const find = (functionArnOrName: string) => {
    for (const [fn, pool] of pools) if (fn.arn === functionArnOrName || fn.name === functionArnOrName) return { fn, pool };
    throw new LambdaInvocationError('Lambda.ResourceNotFoundException', `no local function ${functionArnOrName}`);
  };

  return {
    invoke(functionArnOrName, event, options = {}) {
      const { fn, pool } = find(functionArnOrName);
      const counter = counters.get(fn.name)!;
      return queue.add(async () => {
        counter.invocations++;
        const timeout = AbortSignal.timeout(fn.timeoutSeconds * 1000);
        const startMs = Date.now();
        options.onStart?.(startMs);
        const context = { invokedFunctionArn: fn.arn, memoryLimitInMB: fn.memoryMiB, deadlineMs: startMs + fn.timeoutSeconds * 1000 };
        let outcome: InvocationOutcome;
        try {
          outcome = await pool.run({ handlerPath: fn.handlerPath, event, context } satisfies Invocation, { signal: timeout });
        } catch (error) {
          counter.errors++;
          record({ name: fn.name, startMs, endMs: Date.now(), ok: false });
          // The worker was killed: by its timeout, or it died (out of memory, a signal).
          if (timeout.aborted) throw new LambdaInvocationError('Sandbox.Timedout', `Task timed out after ${fn.timeoutSeconds} seconds`);
          throw new LambdaInvocationError('Runtime.ExitError', `the ${fn.name} worker exited: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (!outcome.ok) counter.errors++;
        record({ name: fn.name, startMs, endMs: Date.now(), ok: outcome.ok });
        if (!outcome.ok) throw new LambdaInvocationError(outcome.error.errorType, outcome.error.errorMessage, outcome.error.trace);
        return outcome.result;
      }, { priority: QUEUE_PRIORITY[fn.name] });
    },

    invocations: () => [...spans],
    stats: () => Object.fromEntries([...counters].map(([name, counter]) => [name, { ...counter }])),

    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.destroy()));
      await rm(options.tmpRoot, { recursive: true, force: true });
    },
  };
}
