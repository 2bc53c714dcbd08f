/**
 * One error taxonomy for every function. Step Functions matches Retry/Catch on an error's
 * `name` (the Lambda runtime reports it as `errorType`), so the names below are part of the
 * state machine's contract: `TransientError` is retried, `InputRejected` never is.
 *
 * The stable `code` travels inside the message (`CODE: detail`) because Lambda's error payload
 * carries only errorType and errorMessage; `parseTaskFailure` reads it back on the other side.
 */
import { z } from 'zod';

export const ErrorCode = z.enum([
  // The upload itself is unacceptable: deterministic, never retried, the job ends `rejected`.
  'EMPTY_INPUT',
  'INPUT_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'CORRUPT_INPUT',
  'PIXEL_LIMIT_EXCEEDED',
  'DIMENSIONS_EXCEEDED',
  'DURATION_EXCEEDED',
  'TOO_MANY_STREAMS',
  'DEMUXER_NOT_ALLOWED',
  'NO_MEDIA_STREAMS',
  'SOURCE_NOT_FOUND',
  // The pipeline could not finish: the job ends `failed`.
  'STORAGE_UNAVAILABLE',
  'WORKFLOW_UNAVAILABLE',
  'EVENTS_UNAVAILABLE',
  'TASK_TIMED_OUT',
  'WORKER_CRASHED',
  'ENCODER_FAILED',
  // The stack asks for what its ffmpeg cannot do (a vmaf quality target without libvmaf).
  'QUALITY_METRIC_UNAVAILABLE',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorName = {
  inputRejected: 'InputRejected',
  transient: 'TransientError',
  internal: 'InternalError',
} as const;

export abstract class FanoutError extends Error {
  abstract readonly retryable: boolean;
  readonly code: ErrorCode;
  readonly detail: string;

  constructor(code: ErrorCode, detail: string, options?: { cause?: unknown }) {
    super(`${code}: ${detail}`, options);
    this.code = code;
    this.detail = detail;
  }
}

/** The input can never be processed; retrying cannot help. */
export class InputRejectedError extends FanoutError {
  override readonly name = ErrorName.inputRejected;
  readonly retryable = false;
}

/** A dependency hiccup (storage 5xx, throttling, a killed worker): a retry may succeed. */
export class TransientError extends FanoutError {
  override readonly name = ErrorName.transient;
  readonly retryable = true;
}

/** A bug or an invariant broken on our side: not the input's fault, not worth retrying. */
export class InternalError extends FanoutError {
  override readonly name = ErrorName.internal;
  readonly retryable = false;
}

export interface JobError {
  code: ErrorCode;
  message: string;
}

/** Lambda's error payload, as Step Functions puts it into a Catch's `Cause`. */
const LambdaErrorPayload = z.object({ errorType: z.string().optional(), errorMessage: z.string() });

/**
 * Turns a caught `{ Error, Cause }` from the state machine back into our code and message.
 * The Cause is Lambda's JSON payload on AWS and on the local host alike; anything else
 * (a States.* runtime error) is reported as it came.
 */
export function parseTaskFailure(failure: { Error?: string; Cause?: string }): JobError & { rejected: boolean } {
  const errorName = failure.Error ?? 'Unknown';
  let text = failure.Cause ?? errorName;
  const payload = LambdaErrorPayload.safeParse(safeJson(text));
  if (payload.success) text = payload.data.errorMessage;

  const coded = /^([A-Z][A-Z_]+): ([\s\S]*)$/.exec(text);
  const parsedCode = ErrorCode.safeParse(coded?.[1]);
  if (coded && parsedCode.success) {
    return { code: parsedCode.data, message: coded[2] ?? '', rejected: errorName === ErrorName.inputRejected };
  }
  return { code: codeForRuntimeError(errorName), message: text, rejected: false };
}

function codeForRuntimeError(errorName: string): ErrorCode {
  if (errorName === 'States.Timeout' || errorName === 'Sandbox.Timedout') return 'TASK_TIMED_OUT';
  if (errorName === 'Runtime.ExitError') return 'WORKER_CRASHED';
  return 'INTERNAL';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Serialises any thrown value the way the Lambda runtime reports it. */
export function toLambdaErrorPayload(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}
