/**
 * The library's Task overrides for one execution: every Task state calls the host's
 * `invokeTask(resource, input)`, with the data rules a Lambda invocation has on AWS
 * (JSON in, JSON out, a 256 KiB state payload, errors matched by name).
 */
import type { RunOptions, StateMachine } from 'aws-local-stepfunctions';
import { z } from 'zod';
import type { TaskResources } from './prepare-definition.ts';

/**
 * Called for every Task state; `resource` is the Task's Resource (a Lambda function ARN), or
 * the FunctionName of an `arn:aws:states:::lambda:invoke` Task. To fail the task, throw an
 * Error whose `name` is the error that Retry/Catch match and whose `message` is the Cause.
 * Call `onStart` when the function begins running (after any wait for a worker): it is the
 * attempt's TaskStarted; an attempt that never reports a start has none.
 */
export type TaskInvoker = (resource: string, input: unknown, options: TaskInvocationOptions) => Promise<unknown>;

export interface TaskInvocationOptions {
  /** Epoch milliseconds. */
  onStart: (startMs: number) => void;
}

/**
 * Told of each Task attempt as the library calls its handler, which it does synchronously right
 * after it logs the attempt's StateEntered or StateRetried; returns what to call when it starts.
 */
export type AttemptListener = (stateName: string) => (startMs: number) => void;

export type JsonValue = Parameters<StateMachine['run']>[0];
type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

/** Step Functions' cap on a state's input or output (UTF-8 bytes). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** The optimised Lambda integration: its input names the function, its output wraps the payload. */
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LambdaInvokeParameters = z.object({ FunctionName: z.string().min(1), Payload: z.unknown().optional() });

/** An error that Step Functions neither retries nor catches (States.DataLimitExceeded, States.Runtime). */
export class TerminalStatesError extends Error {
  // Read by aws-local-stepfunctions' retry and catch matching.
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface BuildTaskHandlersOptions {
  taskResources: TaskResources;
  invokeTask: TaskInvoker;
  /**
   * Aborted once the execution has ended. The library still starts Map iterations that were
   * queued when a sibling failed or the execution was stopped: they must not reach a function.
   * And a Task in flight is settled at once, which releases the library's timer for it (an
   * invocation that never returns would otherwise hold the process open).
   */
  stopped: AbortSignal;
  /** Registers an invocation in flight, so the host can wait for it to settle. */
  track: (invocation: Promise<unknown>) => void;
  beginAttempt: AttemptListener;
}

export function buildTaskHandlers(options: BuildTaskHandlersOptions): TaskHandlers {
  const handlers: TaskHandlers = {};
  const retryCount = retryCounter();
  for (const [stateName, resource] of options.taskResources) {
    handlers[stateName] = async (input) => {
      // First, before anything can throw: every call is an attempt the library has logged.
      const onStart = options.beginAttempt(stateName);
      if (options.stopped.aborted) throw executionStopped();
      const invokeTask = (name: string, payload: unknown) => options.invokeTask(name, payload, { onStart });
      const invocation = invoke(resource, retryCount(stateName, input), invokeTask);
      options.track(invocation);
      return untilStopped(invocation, options.stopped);
    };
  }
  return handlers;
}

/**
 * The context object's `State.RetryCount`, which aws-local-stepfunctions does not keep: the
 * execution's context carries `RetryCount: 0` (LOCAL_STATE_CONTEXT), and a payload built with
 * `"retryCount.$": "$$.State.RetryCount"` (ATTEMPT_PAYLOAD: `{ task, retryCount }`) gets the true
 * count here, from how many times this Task state has been called with this task before. Within
 * one execution a Task state meets the same task again only when it retries it.
 */
export const LOCAL_STATE_CONTEXT = { State: { RetryCount: 0 } };

function retryCounter(): (stateName: string, input: JsonValue) => JsonValue {
  const tries = new Map<string, number>();
  return (stateName, input) => {
    const attempt = TaskAttemptShape.safeParse(input);
    if (!attempt.success) return input;
    const key = `${stateName}\u0000${JSON.stringify(attempt.data.task)}`;
    const before = tries.get(key) ?? 0;
    tries.set(key, before + 1);
    return { ...attempt.data, retryCount: before };
  };
}
const TaskAttemptShape = z.object({ task: z.json(), retryCount: z.literal(0) });

/** The invocation's result, or a rejection as soon as the execution stops (the invocation itself runs on). */
function untilStopped<T>(invocation: Promise<T>, stopped: AbortSignal): Promise<T> {
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  const onStop = () => reject(executionStopped());
  stopped.addEventListener('abort', onStop, { once: true });
  invocation.then(resolve, reject).finally(() => stopped.removeEventListener('abort', onStop));
  return promise;
}

function executionStopped(): TerminalStatesError {
  return new TerminalStatesError('States.Runtime', 'The execution is no longer running');
}

type BoundInvoker = (resource: string, input: unknown) => Promise<unknown>;

async function invoke(resource: string, input: JsonValue, invokeTask: BoundInvoker): Promise<JsonValue> {
  if (resource !== LAMBDA_INVOKE) return toStateOutput(await callTask(invokeTask, resource, input));
  const parameters = LambdaInvokeParameters.safeParse(input);
  if (!parameters.success) {
    throw new TerminalStatesError('States.Runtime', `${LAMBDA_INVOKE} needs a FunctionName: ${parameters.error.message}`);
  }
  const payload = await callTask(invokeTask, parameters.data.FunctionName, parameters.data.Payload ?? {});
  // The shape AWS returns when payloadResponseOnly is off; states select `$.Payload` from it.
  return toStateOutput({
    ExecutedVersion: '$LATEST',
    Payload: payload ?? null,
    SdkHttpMetadata: { HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: crypto.randomUUID() },
    StatusCode: 200,
  });
}

/** Runs the invoker and reduces whatever it throws to the `name` + `message` that Step Functions sees. */
async function callTask(invokeTask: BoundInvoker, resource: string, input: unknown): Promise<unknown> {
  try {
    return await invokeTask(resource, input);
  } catch (error) {
    const failure = new Error(error instanceof Error ? error.message : String(error));
    failure.name = error instanceof Error ? error.name : 'Error';
    throw failure;
  }
}

/** A task result crosses a JSON boundary on AWS: a copy, undefined as null, capped at 256 KiB. */
function toStateOutput(result: unknown): JsonValue {
  const text = JSON.stringify(result) ?? 'null';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new TerminalStatesError(
      'States.DataLimitExceeded',
      `The task result is ${bytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit of a state's payload`,
    );
  }
  const output: JsonValue = JSON.parse(text);
  return output;
}
