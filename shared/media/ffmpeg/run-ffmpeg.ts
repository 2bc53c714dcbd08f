/**
 * Runs one ffmpeg process through the bounded runner that ffprobe uses too (no shell, a timeout,
 * a cap on its output, killed on abort) and turns its end into the pipeline's error taxonomy:
 *   - killed by a signal we did not send (the OOM killer, a reaped worker): TransientError
 *     ENCODER_FAILED, since the same work on a fresh process may well succeed;
 *   - ran past its timeout: killed, TransientError TASK_TIMED_OUT;
 *   - a non-zero exit: InternalError ENCODER_FAILED with the tail of stderr. Our inputs were
 *     probed and cut by us, so a failure here is ours to look at, and a retry would fail the same.
 *   - aborted by the caller: the signal's reason is thrown, the process killed.
 * Every input is read under `-protocol_whitelist file`; every path is a `file:` URL the pipeline
 * chose; `-y` only ever overwrites inside the work directory (outputPath checks).
 */
import { InternalError, TransientError } from '../../errors.ts';
import { fileUrl, outputPath } from './ffmpeg-args.ts';
import { runBoundedProcess, type ProcessFailure } from './run-bounded-process.ts';

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
  /**
   * Report the CPU the process used (user + system, all its threads): ffmpeg's own `-benchmark`
   * line, which it prints at the info log level, read from the end of stderr. A child's rusage is
   * not available from Node, and wall time × threads overstates it.
   */
  reportCpu?: boolean;
}

export interface FfmpegRun {
  /** With reportCpu: the CPU milliseconds ffmpeg reported (undefined if it printed none). */
  cpuMs?: number | undefined;
}

/** Long enough for any chunk or whole-file audio of an accepted upload; Lambda's 15 min is the hard cap. */
export const DEFAULT_FFMPEG_TIMEOUT_MS = 14 * 60_000;
/** How much of stderr an error keeps: the last lines say why, the rest is noise in a job record. */
const STDERR_TAIL_LINES = 12;
const STDERR_TAIL_CHARS = 2000;
/** Looked up in PATH, as ffprobe is (run-ffprobe.ts). */
const FFMPEG_PATH = 'ffmpeg';
/** Every output is a file: stdout carries nothing but a stray message. */
const MAX_STDOUT_BYTES = 1024 * 1024;
/**
 * Options before the first input. `-y`: without it a leftover output (a retry in a warm
 * container) makes ffmpeg exit "already exists"; outputPath keeps it inside the work directory.
 */
const GLOBAL_OPTIONS = ['-nostdin', '-y', '-hide_banner', '-nostats'];

export async function runFfmpeg(options: RunFfmpegOptions): Promise<FfmpegRun> {
  const { task, inputs, filterGraph, outputs, timeoutMs = DEFAULT_FFMPEG_TIMEOUT_MS, signal, reportCpu = false } = options;
  if (inputs.length === 0 || outputs.length === 0) throw new TypeError(`${task}: ffmpeg needs an input and an output`);
  let cpuMs: number | undefined;
  const args = [
    ...GLOBAL_OPTIONS,
    ...(reportCpu ? ['-loglevel', 'info', '-benchmark'] : ['-loglevel', 'warning']),
    ...inputs.flatMap((input) => [...(input.options ?? []), '-protocol_whitelist', 'file', '-i', fileUrl(input.path)]),
    ...(filterGraph === undefined ? [] : ['-filter_complex', filterGraph]),
    ...outputs.flatMap((output) => [...output.options, `file:${outputPath(output.path)}`]),
  ];
  await runBoundedProcess({
    command: FFMPEG_PATH,
    args,
    timeoutMs,
    maxOutputBytes: MAX_STDOUT_BYTES,
    signal,
    ...(reportCpu ? { onStderrTail: (tail: string) => (cpuMs = benchmarkCpuMs(tail)) } : {}),
    failure: (failure) => toFanoutError(task, failure),
  });
  return { cpuMs };
}

/** User + system CPU from ffmpeg's `bench: utime=1.234s stime=0.056s rtime=0.789s` line. */
export function benchmarkCpuMs(stderr: string): number | undefined {
  const line = /bench: utime=([0-9.]+)s stime=([0-9.]+)s/.exec(stderr);
  return line ? Math.round((Number(line[1]) + Number(line[2])) * 1000) : undefined;
}

function toFanoutError(task: string, failure: ProcessFailure): Error {
  switch (failure.kind) {
    case 'timeout':
      return new TransientError('TASK_TIMED_OUT', `${task}: ffmpeg ran past ${failure.timeoutMs / 1000} s and was killed`);
    case 'signal':
      return new TransientError('ENCODER_FAILED', `${task}: ffmpeg was killed by ${failure.signal}`);
    case 'exit':
      return new InternalError('ENCODER_FAILED', `${task}: ffmpeg exited with code ${failure.code}: ${stderrTail(failure.stderr)}`);
    case 'output-cap':
      return new InternalError('ENCODER_FAILED', `${task}: ffmpeg printed more than ${failure.maxOutputBytes} bytes on stdout`);
    case 'spawn':
      return new InternalError('ENCODER_FAILED', `${task}: ffmpeg could not be run (${FFMPEG_PATH}): ${failure.error.message}`, { cause: failure.error });
  }
}

function stderrTail(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trimEnd()).filter((line) => line !== '');
  const tail = lines.slice(-STDERR_TAIL_LINES).join('\n');
  return tail.length > STDERR_TAIL_CHARS ? `…${tail.slice(-STDERR_TAIL_CHARS)}` : tail || '(no output on stderr)';
}
