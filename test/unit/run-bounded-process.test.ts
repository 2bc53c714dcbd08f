import { describe, expect, it } from 'vitest';
import { runBoundedProcess, type ProcessFailure } from '../../shared/media/ffmpeg/run-bounded-process.ts';
import { rejectionOf } from '../support/rejection-of.ts';

/** The failure, as data, so each case can say which one it expects. */
class Failed extends Error {
  readonly failure: ProcessFailure;
  constructor(failure: ProcessFailure) {
    super(failure.kind);
    this.failure = failure;
  }
}

const sh = (script: string, options: { timeoutMs?: number; maxOutputBytes?: number; onLine?: (line: string) => void; signal?: AbortSignal } = {}) =>
  runBoundedProcess({ command: 'sh', args: ['-c', script], timeoutMs: 10_000, maxOutputBytes: 1024, failure: (failure) => new Failed(failure), ...options });

const failureOf = async (run: Promise<unknown>): Promise<ProcessFailure> => {
  const error = await rejectionOf(run);
  if (!(error instanceof Failed)) throw error;
  return error.failure;
};

describe('runBoundedProcess', () => {
  it('resolves with stdout, or hands it over line by line', async () => {
    expect(await sh('printf "a\\nb\\n"')).toBe('a\nb\n');
    const lines: string[] = [];
    expect(await sh('printf "a\\nb"', { onLine: (line) => lines.push(line) })).toBe('');
    expect(lines).toEqual(['a', 'b']);
  });

  it('reports a non-zero exit with the end of stderr', async () => {
    expect(await failureOf(sh('echo "no moov" >&2; exit 3'))).toEqual({ kind: 'exit', code: 3, stderr: 'no moov' });
  });

  it('kills a process that outruns its timeout', async () => {
    const started = Date.now();
    expect(await failureOf(sh('exec sleep 30', { timeoutMs: 200 }))).toEqual({ kind: 'timeout', timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('settles when it kills a process even while a child of that process holds the pipes open', async () => {
    const started = Date.now();
    // The shell forks sleep (a command follows it), and sleep inherits stdout and stderr.
    expect(await failureOf(sh('sleep 3; true', { timeoutMs: 200 }))).toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('kills a process whose output passes the cap', async () => {
    expect(await failureOf(sh('exec yes', { maxOutputBytes: 4096 }))).toEqual({ kind: 'output-cap', maxOutputBytes: 4096 });
  });

  it('reports a signal it did not send', async () => {
    expect(await failureOf(sh('kill -9 $$'))).toEqual({ kind: 'signal', signal: 'SIGKILL' });
  });

  it('reports a command that cannot be started', async () => {
    const failure = await failureOf(runBoundedProcess({ command: '/nonexistent/ffprobe', args: [], timeoutMs: 1000, maxOutputBytes: 1, failure: (failed) => new Failed(failed) }));
    expect(failure.kind).toBe('spawn');
  });

  it('stops at the first line its reader refuses, with the reader’s error', async () => {
    const refusal = new Error('too many frames');
    const error = await rejectionOf(
      sh('exec yes', {
        maxOutputBytes: 1024 ** 3,
        onLine: () => {
          throw refusal;
        },
      }),
    );
    expect(error).toBe(refusal);
  });

  it("kills the process when the caller aborts, and rejects with the abort's reason", async () => {
    const controller = new AbortController();
    const run = rejectionOf(sh('exec sleep 30', { signal: controller.signal }));
    const reason = new Error('out of time');
    setTimeout(() => controller.abort(reason), 100);
    expect(await run).toBe(reason);
  });
});
