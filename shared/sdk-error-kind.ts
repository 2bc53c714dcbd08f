/**
 * What an AWS SDK error means for a retry, for the ports to map into the error taxonomy: a
 * storage or workflow error passed through raw has no name that a Step Functions Retry matches,
 * and a job that met one would end with no manifest.
 *
 * - `not-found`: the thing asked for does not exist (404, NoSuchKey, ...): final.
 * - `transient`: the service was unreachable, overloaded or failing (connection refused or
 *   reset, a timeout, throttling, 5xx): the same call may well succeed later.
 * - `permanent`: the request itself is wrong for this deployment (403, a missing bucket, a bad
 *   name): repeating it cannot help.
 */
export type SdkErrorKind = 'not-found' | 'transient' | 'permanent';

const NOT_FOUND_NAMES = new Set(['NotFound', 'NoSuchKey', 'NoSuchVersion', 'ExecutionDoesNotExist']);
/** Service-side names that mean "slow down" or "try again", whatever the status code. */
const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'TimeoutError',
  'AbortError',
]);
/** Node's socket errors: the server went away or never answered. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Missing things that are the deployment's, not the request's: a bucket, a state machine. */
const MISSING_RESOURCE_NAMES = new Set(['NoSuchBucket', 'StateMachineDoesNotExist']);

export function sdkErrorKind(error: unknown): SdkErrorKind {
  if (!(error instanceof Error)) return 'permanent';
  if (MISSING_RESOURCE_NAMES.has(error.name)) return 'permanent';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (NOT_FOUND_NAMES.has(error.name) || status === 404) return 'not-found';
  if (TRANSIENT_NAMES.has(error.name)) return 'transient';
  if ((error as { $retryable?: unknown }).$retryable) return 'transient';
  if (status !== undefined && (status >= 500 || status === 429 || status === 408)) return 'transient';
  if (status === undefined && isNetworkError(error)) return 'transient';
  return 'permanent';
}

/** A socket-level failure anywhere in the cause chain (the SDK wraps Node's errors). */
function isNetworkError(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (/socket hang up|ECONNREFUSED|ECONNRESET|other side closed/i.test(error.message)) return true;
  return isNetworkError(error.cause, depth + 1);
}
