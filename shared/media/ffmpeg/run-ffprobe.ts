/**
 * ffprobe through the bounded runner, its failures mapped for an untrusted input: a run that
 * fails on its own is the file's fault (CORRUPT_INPUT unless the caller says more precisely), a
 * timeout or a signal we did not send is the host's (transient), and output past its bound is
 * a file too large to list.
 *
 * ffprobe is spawned directly, not through fluent-ffmpeg's `ffprobe()`: that one has no timeout
 * and no output bound, parses ffprobe's INI output into loosely typed values, and cannot stream
 * the per-packet listing.
 */
import { type FanoutError, InputRejectedError, InternalError, TransientError } from '../../errors.ts';
import { runBoundedProcess } from './run-bounded-process.ts';

/** Where ffprobe is and how long it may run; the defaults suit a splitter on Lambda. */
export interface FfprobeRunOptions {
  /** An absolute path, or a name looked up in PATH (no shell either way). Default `ffprobe`. */
  ffprobePath?: string;
  timeoutMs?: number;
}

export interface RunFfprobeOptions {
  ffprobePath: string | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Receives stdout line by line instead of collecting it; a throw stops ffprobe and rejects. */
  onLine?: (line: string) => void;
  /** A more precise rejection for a failed run, from its stderr; CORRUPT_INPUT otherwise. */
  describeFailure?: (stderr: string) => FanoutError | undefined;
}

const DEFAULT_FFPROBE_PATH = 'ffprobe';

/** Resolves with stdout (empty when onLine takes it). */
export function runFfprobe(args: readonly string[], options: RunFfprobeOptions): Promise<string> {
  const ffprobePath = options.ffprobePath ?? DEFAULT_FFPROBE_PATH;
  return runBoundedProcess({
    command: ffprobePath,
    args,
    timeoutMs: options.timeoutMs,
    maxOutputBytes: options.maxOutputBytes,
    onLine: options.onLine,
    failure: (failure) => {
      switch (failure.kind) {
        case 'spawn':
          return new InternalError('INTERNAL', `ffprobe could not be run (${ffprobePath}): ${failure.error.message}`, { cause: failure.error });
        case 'timeout':
          return new TransientError('TASK_TIMED_OUT', `ffprobe did not finish within ${failure.timeoutMs} ms`);
        case 'output-cap':
          return new InputRejectedError('INPUT_TOO_LARGE', `ffprobe's output passed ${failure.maxOutputBytes} bytes`);
        case 'signal':
          return new TransientError('WORKER_CRASHED', `ffprobe was killed by ${failure.signal}`);
        case 'exit':
          return (
            options.describeFailure?.(failure.stderr) ??
            new InputRejectedError('CORRUPT_INPUT', `ffprobe could not read the file (exit code ${failure.code}): ${causeOf(failure.stderr)}`)
          );
      }
    },
  });
}

/**
 * The cause, from the end of ffprobe's stderr: its last two messages without the log context
 * ("[mov,mp4,… @ 0x…]") or the input's path, e.g. "moov atom not found; Invalid data found when
 * processing input".
 */
function causeOf(stderr: string): string {
  const messages = stderr
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\] /, '').replace(/^file:.*?: /, '').trim())
    .filter((line) => line !== '');
  const cause = [...new Set(messages.slice(-2))].join('; ');
  return cause.length > 300 ? `${cause.slice(0, 300)}…` : cause || 'no message';
}
