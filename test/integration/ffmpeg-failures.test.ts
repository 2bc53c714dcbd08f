/**
 * How an ffmpeg run ends when it does not succeed, as the state machine will see it: a killed
 * process is a TransientError (retried), a failing command an InternalError carrying the tail
 * of ffmpeg's stderr (not retried), a timeout or an abort leaves no process behind, and values
 * that must never reach a command line are refused before anything is spawned.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoFixture } from '../../fixtures/videos.ts';
import { InternalError, TransientError } from '../../shared/errors.ts';
import { cutSegment } from '../../shared/media/ffmpeg/cut-segment.ts';
import { type EncodeChunkOptions, encodeChunk } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { probeOutput } from '../../shared/media/ffmpeg/probe-output.ts';
import { runFfmpeg } from '../../shared/media/ffmpeg/run-ffmpeg.ts';
import { rejectionOf } from '../support/rejection-of.ts';

let workDir: string;
let segmentPath: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-ffmpeg-failures-'));
  // 21 s of video as one segment: an encode that runs long enough to be interrupted.
  segmentPath = join(workDir, 'long.nut');
  await cutSegment({ sourcePath: await videoFixture('long-gop.mp4'), format: 'mp4', fromSeconds: 0, outputPath: segmentPath });
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function longEncode(overrides: Partial<EncodeChunkOptions> = {}): EncodeChunkOptions {
  return {
    segmentPath,
    startSeconds: 0,
    rotation: 0,
    rungs: [{ name: 'big', width: 1280, height: 720, crf: 20, maxrateKbps: 4000, bufsizeKbps: 8000 }],
    gopSeconds: 2,
    preset: 'medium',
    outputs: { big: join(workDir, 'big.mp4') },
    ...overrides,
  };
}


/** This process's ffmpeg children, from /proc: pid and command line. */
async function ffmpegChildren(): Promise<Array<{ pid: number; args: string[] }>> {
  const children: Array<{ pid: number; args: string[] }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
      const [, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid || !stat.includes('(ffmpeg)')) continue;
      const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      children.push({ pid: Number(entry), args });
    } catch {
      // The process ended between readdir and read.
    }
  }
  return children;
}

/** Waits for this process's ffmpeg child that runs a filter graph (the encode, not a cut). */
async function encoderChild(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const child = (await ffmpegChildren()).find(({ args }) => args.includes('-filter_complex'));
    if (child) return child.pid;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no ffmpeg child appeared');
}

describe('runFfmpeg outcomes', () => {
  it('reports an ffmpeg killed by a signal as a TransientError: a retry may succeed', async () => {
    // The rejection is awaited from the start, so an early end is a failed assertion, not an unhandled rejection.
    const outcome = rejectionOf(encodeChunk(longEncode()));
    process.kill(await encoderChild(), 'SIGKILL');
    const error = await outcome;
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ name: 'TransientError', code: 'ENCODER_FAILED', retryable: true });
    expect((error as TransientError).detail).toMatch(/killed by SIGKILL/);
  });

  it('reports a failing ffmpeg as an InternalError with the tail of its stderr', async () => {
    const notASegment = join(workDir, 'not-a-segment.nut');
    await writeFile(notASegment, 'this is not a NUT file\n'.repeat(50));
    const error = await rejectionOf(encodeChunk(longEncode({ segmentPath: notASegment })));
    expect(error).toBeInstanceOf(InternalError);
    expect(error).toMatchObject({ code: 'ENCODER_FAILED', retryable: false });
    expect((error as InternalError).detail).toMatch(/^encode chunk: ffmpeg exited with code \d+: /);
    expect((error as InternalError).detail).toMatch(/Invalid data found when processing input/);
  });

  it('reports an argument ffmpeg rejects as an InternalError naming it', async () => {
    const error = await rejectionOf(
      runFfmpeg({ task: 'test', inputs: [{ path: segmentPath, options: ['-f', 'nut'] }], outputs: [{ path: join(workDir, 'x.mp4'), options: ['-no-such-option', '1'] }] }),
    );
    expect(error).toBeInstanceOf(InternalError);
    expect((error as InternalError).detail).toMatch(/no-such-option/);
  });

  it('kills a run that outlives its timeout: TransientError TASK_TIMED_OUT, no process left', async () => {
    const error = await rejectionOf(encodeChunk(longEncode({ timeoutMs: 1500 })));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'TASK_TIMED_OUT' });
    expect(await ffmpegChildren()).toEqual([]);
  });

  it('kills the process when the caller aborts, and rejects with the abort reason', async () => {
    const controller = new AbortController();
    const outcome = rejectionOf(encodeChunk(longEncode({ signal: controller.signal })));
    await encoderChild();
    const reason = new Error('job cancelled');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(await ffmpegChildren()).toEqual([]);
  });
});

describe('reading back our own outputs', () => {
  it('blames the pipeline (ENCODER_FAILED), not the upload, when an output it wrote cannot be read', async () => {
    const broken = join(workDir, 'broken-output.mp4');
    await writeFile(broken, 'not an MP4 at all\n'.repeat(20));
    const error = await rejectionOf(probeOutput(broken));
    expect(error).toBeInstanceOf(InternalError);
    expect(error).toMatchObject({ code: 'ENCODER_FAILED', retryable: false });
  });
});

describe('a retried run', () => {
  it('overwrites what an earlier, interrupted run left at its output path', async () => {
    const outputs = { big: join(workDir, 'leftover.mp4') };
    await writeFile(outputs.big, 'half an MP4 from a run that was killed');
    await encodeChunk(longEncode({ outputs, endSeconds: 1 }));
    expect((await readFile(outputs.big)).subarray(4, 8).toString('latin1')).toBe('ftyp');
  });
});

describe('values that never reach a command line', () => {
  it.each<[string, Partial<EncodeChunkOptions>]>([
    ['a relative segment path', { segmentPath: 'long.nut' }],
    ['a path with a newline', { segmentPath: `${tmpdir()}/a\nb.nut` }],
    ['an output outside the work directory', { outputs: { big: '/etc/fanout-test.mp4' } }],
    ['a start that is not a number', { startSeconds: Number.NaN }],
    ['an end before the start', { startSeconds: 4, endSeconds: 2 }],
    ['an unknown preset', { preset: 'fast;rm -rf /' }],
    ['an odd width', { rungs: [{ name: 'big', width: 641, height: 360, crf: 23, maxrateKbps: 1000, bufsizeKbps: 2000 }] }],
    ['a fractional bitrate', { rungs: [{ name: 'big', width: 640, height: 360, crf: 23, maxrateKbps: 1000.5, bufsizeKbps: 2000 }] }],
    ['a rotation that is not a right angle', { rotation: 45 as 90 }],
  ])('refuses %s before spawning anything', async (_, overrides) => {
    // Our own checks throw TypeError/RangeError; anything ffmpeg said would be a FanoutError.
    const error = await rejectionOf(encodeChunk(longEncode(overrides)));
    expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
  });
});
