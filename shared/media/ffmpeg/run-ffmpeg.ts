/**
 * Runs one ffmpeg process through fluent-ffmpeg (never a shell) and turns its end into the
 * pipeline's error taxonomy:
 *   - killed by a signal we did not send (the OOM killer, a reaped worker): TransientError
 *     ENCODER_FAILED, since the same work on a fresh process may well succeed;
 *   - ran past its timeout: killed, TransientError TASK_TIMED_OUT;
 *   - a non-zero exit: InternalError ENCODER_FAILED with the tail of stderr. Our inputs were
 *     probed and cut by us, so a failure here is ours to look at, and a retry would fail the same.
 *   - aborted by the caller: the signal's reason is thrown, the process killed.
 * Every input is read under `-protocol_whitelist file`; every path is a `file:` URL the pipeline
 * chose; `-y` only ever overwrites inside the work directory (outputPath checks).
 */
import { ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import ffmpeg from 'fluent-ffmpeg';
import { InternalError, TransientError } from '../../errors.ts';
import { fileUrl, outputPath } from './ffmpeg-args.ts';

export interface FfmpegInput {
  path: string;
  /** Input options (before its -i): -f, -ss, … built from checked values only. */
  options?: readonly string[];
}

export interface FfmpegOutput {
  path: string;
  /** Output options (before its path): -map, codecs, -f, … built from checked values only. */
  options: readonly string[];
}

export interface RunFfmpegOptions {
  /** What the run is for, at the start of any error message: "encode chunk". */
  task: string;
  inputs: readonly FfmpegInput[];
  /** A -filter_complex graph, built from checked numbers only. */
  filterGraph?: string;
  outputs: readonly FfmpegOutput[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Long enough for any chunk or whole-file audio of an accepted upload; Lambda's 15 min is the hard cap. */
export const DEFAULT_FFMPEG_TIMEOUT_MS = 14 * 60_000;
/** How much of stderr an error keeps: the last lines say why, the rest is noise in a job record. */
const STDERR_TAIL_LINES = 12;
const STDERR_TAIL_CHARS = 2000;
/**
 * Options before the first input; ffmpeg applies global options wherever they appear. `-y` is ours:
 * fluent-ffmpeg adds it only for outputs it takes for files, and its check misses `file:` URLs, so
 * without it a leftover output (a retry in a warm container) makes ffmpeg exit "already exists".
 */
const GLOBAL_OPTIONS = ['-nostdin', '-y', '-hide_banner', '-nostats', '-loglevel', 'warning'];

export async function runFfmpeg(options: RunFfmpegOptions): Promise<void> {
  const { task, inputs, filterGraph, outputs, timeoutMs = DEFAULT_FFMPEG_TIMEOUT_MS, signal } = options;
  if (inputs.length === 0 || outputs.length === 0) throw new TypeError(`${task}: ffmpeg needs an input and an output`);
  signal?.throwIfAborted();
  await capabilitiesLookedUp();
  // The abort listener below only hears aborts from here on.
  signal?.throwIfAborted();

  const command = ffmpeg({ stdoutLines: 40 });
  inputs.forEach((input, index) => {
    command.input(fileUrl(input.path));
    addOptions(command, 'input', [...(index === 0 ? GLOBAL_OPTIONS : []), ...(input.options ?? []), '-protocol_whitelist', 'file']);
  });
  if (filterGraph !== undefined) command.complexFilter(filterGraph);
  for (const output of outputs) {
    command.output(`file:${outputPath(output.path)}`);
    addOptions(command, 'output', output.options);
  }

  let child: ChildProcess | undefined;
  let killedFor: 'timeout' | 'abort' | undefined;
  const kill = (reason: 'timeout' | 'abort') => {
    killedFor ??= reason;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const timer = setTimeout(() => kill('timeout'), timeoutMs);
  const onAbort = () => kill('abort');
  signal?.addEventListener('abort', onAbort, { once: true });

  try {
    await new Promise<void>((resolve, reject) => {
      command.on('start', () => {
        const spawned: unknown = Reflect.get(command, 'ffmpegProc');
        if (!(spawned instanceof ChildProcess)) return;
        child = spawned;
        if (killedFor) kill(killedFor);
      });
      command.on('end', () => resolve());
      command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => reject(toFanoutError({ task, error, stderr, child, killedFor, timeoutMs, signal })));
      command.run();
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    // Never leave a process behind, whatever ended the wait.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * Before each command fluent-ffmpeg checks its formats against `ffmpeg -formats` and
 * `ffmpeg -encoders`, which it caches per process only once they have come back. Commands started
 * together in a fresh process (the splitter's parallel cuts) each spawned both: five 1080p cuts
 * started at once took 2.0 s on 2 cores, 1.1 s with this one shared look-up filling the cache.
 */
let capabilities: Promise<void> | undefined;
function capabilitiesLookedUp(): Promise<void> {
  capabilities ??= Promise.all([promisify(ffmpeg.getAvailableFormats)(), promisify(ffmpeg.getAvailableEncoders)()]).then(
    () => undefined,
    // No ffmpeg (or a broken one): forget it, and let the command fail with its own error.
    () => {
      capabilities = undefined;
    },
  );
  return capabilities;
}

/**
 * fluent-ffmpeg splits a lone option string at a space ("-ss 5"); passed as separate arguments
 * it keeps each one whole, so a value with a space stays one argument.
 */
function addOptions(command: ffmpeg.FfmpegCommand, where: 'input' | 'output', options: readonly string[]): void {
  if (options.length === 0) return;
  if (options.length === 1 && options[0]!.includes(' ')) throw new TypeError(`a lone ffmpeg option with a space: ${options[0]}`);
  const [first, ...rest] = options;
  if (where === 'input') command.inputOptions(first!, ...rest);
  else command.outputOptions(first!, ...rest);
}

function toFanoutError(args: {
  task: string;
  error: Error;
  stderr: string | null;
  child: ChildProcess | undefined;
  killedFor: 'timeout' | 'abort' | undefined;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}): unknown {
  const { task, error, stderr, child, killedFor, timeoutMs, signal } = args;
  // Node sets these before 'exit' fires, so they are there whichever listener runs first.
  const exitSignal = child?.signalCode ?? null;
  const exitCode = child?.exitCode ?? null;
  if (killedFor === 'abort') return signal?.reason ?? error;
  if (killedFor === 'timeout') {
    return new TransientError('TASK_TIMED_OUT', `${task}: ffmpeg ran past ${timeoutMs / 1000} s and was killed`, { cause: error });
  }
  if (exitSignal !== null) {
    return new TransientError('ENCODER_FAILED', `${task}: ffmpeg was killed by ${exitSignal}`, { cause: error });
  }
  if (exitCode !== null && exitCode !== 0) {
    return new InternalError('ENCODER_FAILED', `${task}: ffmpeg exited with code ${exitCode}: ${stderrTail(stderr)}`, { cause: error });
  }
  // Never started (ffmpeg missing), or fluent-ffmpeg refused the command before running it.
  return new InternalError('ENCODER_FAILED', `${task}: ${error.message}`, { cause: error });
}

function stderrTail(stderr: string | null): string {
  const lines = (stderr ?? '').split('\n').map((line) => line.trimEnd()).filter((line) => line !== '');
  const tail = lines.slice(-STDERR_TAIL_LINES).join('\n');
  return tail.length > STDERR_TAIL_CHARS ? `…${tail.slice(-STDERR_TAIL_CHARS)}` : tail || '(no output on stderr)';
}
