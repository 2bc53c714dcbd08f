/**
 * Runs one execution on aws-local-stepfunctions: streams its event log as it happens and
 * settles with the execution's outcome once both the result and the log are complete.
 */
import { ExecutionError, ExecutionTimeoutError, type RunOptions, type StateMachine } from 'aws-local-stepfunctions';
import type { JsonValue } from './build-task-handlers.ts';
import { EXECUTION_TIMED_OUT, toCause, type LibraryEvent } from './to-history-event.ts';

export type TerminalStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionOutcome {
  status: TerminalStatus;
  /** The output as JSON text, when the execution succeeded. */
  output?: string;
  error?: string;
  cause?: string;
}

export interface RunExecutionOptions {
  runner: StateMachine;
  input: JsonValue;
  context: NonNullable<RunOptions['context']>;
  taskHandlers: NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
  onEvent: (event: LibraryEvent) => void;
}

export interface RunningExecution {
  /** Stops the execution; its outcome then settles as ABORTED. */
  abort(): void;
  outcome: Promise<ExecutionOutcome>;
}

export function runExecution(options: RunExecutionOptions): RunningExecution {
  let aborted = false;
  const execution = options.runner.run(options.input, {
    overrides: { taskResourceLocalHandlers: options.taskHandlers },
    context: options.context,
    noThrowOnAbort: true,
  });
  // The log closes with the execution's own terminal event (the library dispatches it before it
  // settles the result), so waiting for both keeps the history complete when the status changes.
  const logged = (async () => {
    for await (const event of execution.eventLogs) options.onEvent(event);
  })();
  const outcome = execution.result.then(
    (output): ExecutionOutcome => (aborted ? { status: 'ABORTED' } : { status: 'SUCCEEDED', output: JSON.stringify(output) ?? 'null' }),
    (error: unknown) => toFailure(error),
  );
  return {
    abort() {
      aborted = true;
      execution.abort();
    },
    outcome: Promise.all([outcome, logged]).then(([settled]) => settled),
  };
}

function toFailure(error: unknown): ExecutionOutcome {
  if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', ...EXECUTION_TIMED_OUT };
  // ExecutionError wraps the state's error: its name is what Retry/Catch matched.
  const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (failure instanceof Error) return { status: 'FAILED', error: failure.name, cause: toCause(failure.message) };
  return { status: 'FAILED', error: 'States.Runtime', cause: toCause(failure) };
}
