/**
 * Runs ffprobe or ffmpeg without a shell (arguments as an array), bounded: killed (SIGKILL) when
 * it outruns its timeout, prints more than maxOutputBytes on stdout, or the caller aborts. How a
 * failed run maps into the error taxonomy is the caller's: ffprobe on an upload blames the file,
 * ffmpeg on our own intermediates blames us.
 */
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

/**
 * How much of stderr is kept for an error message (the end, where the cause is) and for ffmpeg's
 * `bench:` line, which x264 follows with its closing statistics, about 1 KiB per rung at veryfast.
 */
const STDERR_TAIL_BYTES = 16_384;

export type ProcessFailure =
  /** It could not be started (not installed, not executable). */
  | { kind: 'spawn'; error: Error }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'output-cap'; maxOutputBytes: number }
  /** Killed by a signal we did not send: the OOM killer, a reaped sandbox. */
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'exit'; code: number; stderr: string };

export interface RunBoundedProcessOptions {
  /** An absolute path, or a name looked up in PATH. */
  command: string;
  args: readonly string[];
  timeoutMs: number;
  maxOutputBytes: number;
  /** Receives stdout line by line instead of collecting it; a throw stops the process and rejects with it. */
  onLine?: (line: string) => void;
  /** Aborting kills the process and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Receives the tail of stderr (its last 4 KiB) when the process succeeds: ffmpeg's closing report. */
  onStderrTail?: (tail: string) => void;
  /** The error a failed run rejects with. */
  failure: (failure: ProcessFailure) => Error;
}

/** Resolves with stdout (empty when onLine takes it) once the process exits with code 0. */
export function runBoundedProcess(options: RunBoundedProcessOptions): Promise<string> {
  const { command, args, timeoutMs, maxOutputBytes, onLine, onStderrTail, signal, failure } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolvePromise, rejectPromise) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    let settled = false;
    let stopReason: unknown;
    let stopped = false;
    const settle = (error: unknown, stdout = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolvePromise(stdout);
      else rejectPromise(error);
    };
    /** Kills the process; the promise settles with `reason` once it has exited. */
    const stop = (reason: unknown): void => {
      if (stopped) return;
      stopped = true;
      stopReason = reason;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(failure({ kind: 'timeout', timeoutMs })), timeoutMs);
    const onAbort = (): void => stop(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    const collected: string[] = [];
    const decoder = new StringDecoder('utf8');
    let outputBytes = 0;
    let partialLine = '';
    const takeLines = (text: string, final: boolean): void => {
      const lines = (partialLine + text).split('\n');
      partialLine = final ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        if (line === '' || stopped) continue;
        try {
          onLine?.(line);
        } catch (error) {
          stop(error);
        }
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (stopped) return;
      outputBytes += chunk.length;
      if (outputBytes > maxOutputBytes) return stop(failure({ kind: 'output-cap', maxOutputBytes }));
      const text = decoder.write(chunk);
      if (onLine) takeLines(text, false);
      else collected.push(text);
    });

    let stderrTail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderrTail = (stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });

    child.on('error', (error) => settle(stopped ? stopReason : failure({ kind: 'spawn', error })));
    // Once we have killed it, its exit is the end: a child of its own may still hold the pipes open.
    child.on('exit', () => {
      if (!stopped) return;
      child.stdout.destroy();
      child.stderr.destroy();
      settle(stopReason);
    });
    child.on('close', (code, exitSignal) => {
      if (stopped) return settle(stopReason);
      if (code === 0) {
        onStderrTail?.(stderrTail);
        const rest = decoder.end();
        if (!onLine) return settle(undefined, collected.join('') + rest);
        takeLines(rest, true);
        return settle(stopped ? stopReason : undefined);
      }
      if (exitSignal !== null) return settle(failure({ kind: 'signal', signal: exitSignal }));
      settle(failure({ kind: 'exit', code: code ?? -1, stderr: stderrTail.trim() }));
    });
  });
}
