/**
 * The chunk's window has one definition with two faces (chunk-frames.ts): the TypeScript
 * predicate and the ffmpeg expression the encoder selects with. ffmpeg runs the encoder's own
 * chain on a tiny generated segment (10 fps, timestamps up by the intermediate's offset) for
 * boundaries exactly on a frame, just inside the tolerance and just outside it: the frames it
 * picks are the frames the predicate says.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOUNDARY_TOLERANCE_SECONDS, chunkContains, chunkFramesFilter, segmentInputOptions } from '../../shared/media/ffmpeg/chunk-frames.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';

const run = promisify(execFile);
const FRAMES = 10;
/** Frame k shows at k/10 s: exact in the segment's 1/10 time base. */
const frameTimes = Array.from({ length: FRAMES }, (_, k) => k / 10);

let workDir: string;
let segmentPath: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-window-'));
  segmentPath = join(workDir, `segment.${INTERMEDIATE_FORMAT.extension}`);
  await run('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=32x32:rate=10:duration=${FRAMES / 10}`,
    '-c:v', 'rawvideo', '-output_ts_offset', String(INTERMEDIATE_FORMAT.timestampOffsetSeconds), '-f', INTERMEDIATE_FORMAT.muxer, segmentPath,
  ]);
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/**
 * The source indices of the frames ffmpeg picks for the chunk. The window is contiguous, so two
 * counts fix it: how many frames the chunk gets, and how many an open window from its start gets.
 */
async function ffmpegPicks(chunk: { startSeconds: number; endSeconds?: number }): Promise<number[]> {
  const count = async (window: { startSeconds: number; endSeconds?: number }) => {
    const { stdout } = await run('ffmpeg', ['-v', 'error', ...segmentInputOptions(1), '-i', segmentPath, '-vf', chunkFramesFilter(window), '-fps_mode', 'passthrough', '-f', 'framecrc', '-']);
    return stdout.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
  };
  const fromStart = await count({ startSeconds: chunk.startSeconds });
  const first = FRAMES - fromStart;
  const picked = await count(chunk);
  return Array.from({ length: picked }, (_, k) => first + k);
}

const predicatePicks = (chunk: { startSeconds: number; endSeconds?: number }) => frameTimes.flatMap((time, k) => (chunkContains(chunk, time) ? [k] : []));

describe('the chunk window: the ffmpeg expression and the predicate agree on every boundary', () => {
  const inside = BOUNDARY_TOLERANCE_SECONDS * 0.9;
  const outside = BOUNDARY_TOLERANCE_SECONDS * 1.1;
  const cases: { name: string; startSeconds: number; endSeconds?: number; expected: number[] }[] = [
    { name: 'both boundaries exactly on frames', startSeconds: 0.3, endSeconds: 0.6, expected: [3, 4, 5] },
    { name: 'boundaries just after a frame, within the tolerance', startSeconds: 0.3 + inside, endSeconds: 0.6 + inside, expected: [3, 4, 5] },
    { name: 'boundaries just after a frame, past the tolerance', startSeconds: 0.3 + outside, endSeconds: 0.6 + outside, expected: [4, 5, 6] },
    { name: 'boundaries just before a frame', startSeconds: 0.3 - outside, endSeconds: 0.6 - outside, expected: [3, 4, 5] },
    { name: 'the last chunk, open at its end', startSeconds: 0.7, expected: [7, 8, 9] },
  ];
  for (const { name, expected, ...chunk } of cases) {
    it(name, async () => {
      expect(predicatePicks(chunk)).toEqual(expected);
      expect(await ffmpegPicks(chunk)).toEqual(expected);
    });
  }
});
