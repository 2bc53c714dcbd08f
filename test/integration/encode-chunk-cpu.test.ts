/**
 * encodeChunk reports its CPU however many rungs it writes: x264 prints its closing statistics
 * (about 1 KiB a rung) after ffmpeg's `bench:` line, so a short stderr tail lost the line for a
 * 4-rung ladder and the report fell back to wall time.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeChunk } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-encode-cpu-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

it('reports the encode\'s CPU for a ladder of six rungs at veryfast, the job\'s default', async () => {
  const segmentPath = join(workDir, `segment.${INTERMEDIATE_FORMAT.extension}`);
  await promisify(execFile)('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=10:duration=1',
    '-c:v', 'rawvideo', '-output_ts_offset', String(INTERMEDIATE_FORMAT.timestampOffsetSeconds), '-f', INTERMEDIATE_FORMAT.muxer, segmentPath,
  ]);
  const rungs = [64, 56, 48, 40, 32, 24].map((side) => ({ name: `r${side}`, width: side, height: side, crf: 30, maxrateKbps: 500, bufsizeKbps: 1000 }));
  const outputs = Object.fromEntries(rungs.map((rung) => [rung.name, join(workDir, `${rung.name}.mp4`)]));
  const encoded = await encodeChunk({ segmentPath, startSeconds: 0, rotation: 0, rungs, gopSeconds: 1, preset: 'veryfast', outputs, threads: 1 });
  expect(encoded.cpuMs).toBeGreaterThanOrEqual(0);
});
