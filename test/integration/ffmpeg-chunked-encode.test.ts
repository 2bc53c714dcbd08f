/**
 * The chunked encode, assembled back, against its source: the pipeline's video path (cut a
 * segment per chunk, encode every rung from it, encode the audio once, join by stream copy) run
 * on each kind of source, and the seams measured. Rungs are tiny: the suite is about timing and
 * frame exactness, not picture quality (ffmpeg-quality-parity.test.ts measures that).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LONG_GOP_FIXTURE, videoFixture, type VideoFixtureName } from '../../fixtures/videos.ts';
import type { ChunkRung } from '../../shared/media/ffmpeg/encode-chunk.ts';
import type { MediaInputFormat } from '../../shared/media/ffmpeg/source-demuxer.ts';
import { type ChunkedEncode, encodeChunked, packets, trackDurations } from './ffmpeg-support.ts';

const run = promisify(execFile);
const AAC_FRAME_SECONDS = 1024 / 48_000;

const rung = (name: string, width: number, height: number): ChunkRung => ({ name, width, height, crf: 28, maxrateKbps: 800, bufsizeKbps: 1600 });
const SMALL_LADDER = [rung('180p', 320, 180), rung('144p', 256, 144)];

let workRoot: string;
beforeAll(async () => {
  workRoot = await mkdtemp(join(tmpdir(), 'fanout-ffmpeg-chunked-'));
});
afterAll(async () => {
  await rm(workRoot, { recursive: true, force: true });
});

interface Case {
  fixture: VideoFixtureName;
  format: MediaInputFormat;
  /** Set for constant-frame-rate sources: every frame interval must be exactly 1/cfr. */
  cfr?: number;
  rungs?: ChunkRung[];
  /** Short chunks by default, so that 4–6 s fixtures still make several seams. */
  chunkSeconds?: number;
  gopSeconds?: number;
}

describe.each<Case>([
  { fixture: 'h264.mp4', format: 'mp4', cfr: 30 },
  { fixture: 'hevc.mov', format: 'mov', cfr: 25 },
  // Matroska keeps milliseconds: its "30 fps" is 33/34 ms, and so must the output's be.
  { fixture: 'vp9.webm', format: 'webm' },
  { fixture: 'vfr.mp4', format: 'mp4' },
  // The design's 4 s chunks and 2 s GOPs, from a source with a keyframe every 10 s.
  { fixture: 'long-gop.mp4', format: 'mp4', cfr: LONG_GOP_FIXTURE.fps, rungs: [rung('180p', 320, 180)], chunkSeconds: 4, gopSeconds: 2 },
])('$fixture in chunks', ({ fixture, format, cfr, rungs = SMALL_LADDER, chunkSeconds = 2, gopSeconds = 1 }) => {
  let source: string;
  let result: ChunkedEncode;
  beforeAll(async () => {
    source = await videoFixture(fixture);
    result = await encodeChunked({ sourcePath: source, format, rungs, chunkSeconds, gopSeconds, workDir: join(workRoot, fixture) });
  }, 90_000);

  const sourceDuration = () => result.sourceEndSeconds - result.frames[0]!.pts;
  const longestFrame = () => Math.max(...result.frames.slice(1).map((frame, index) => frame.pts - result.frames[index]!.pts));

  it('encodes every frame of every chunk exactly once, in every rung', () => {
    expect(result.chunks.length).toBeGreaterThan(1);
    result.chunks.forEach((chunk, index) => {
      for (const encoded of result.encoded[index]!) expect(encoded.frames, `chunk ${index} ${encoded.rung}`).toBe(chunk.frames);
    });
    for (const { assembled } of Object.values(result.outputs)) expect(assembled.frames).toBe(result.frames.length);
  });

  it('lasts as long as the source, within one frame', async () => {
    for (const { path, assembled } of Object.values(result.outputs)) {
      expect(Math.abs(assembled.durationSeconds - sourceDuration())).toBeLessThanOrEqual(longestFrame() + 1e-6);
      const { video } = await trackDurations(path);
      expect(Math.abs(video! - sourceDuration())).toBeLessThanOrEqual(longestFrame() + 1e-6);
    }
  });

  it('keeps audio and video the same length, within one AAC frame', async () => {
    for (const { path } of Object.values(result.outputs)) {
      const { video, audio, audioSampleRate } = await trackDurations(path);
      expect(audioSampleRate).toBe(48_000);
      expect(Math.abs(audio! - video!)).toBeLessThanOrEqual(AAC_FRAME_SECONDS);
    }
  });

  it('has no timestamp jump at a chunk boundary: every frame keeps its source time', async () => {
    const sourceTimes = result.frames.map((frame) => frame.pts - result.frames[0]!.pts);
    for (const { path } of Object.values(result.outputs)) {
      const { timeBase, packets: list } = await packets(path, 'v:0');
      const times = list.map((packet) => packet.pts * timeBase).sort((a, b) => a - b);
      expect(times).toHaveLength(sourceTimes.length);
      // Half a microsecond: both sides are exact ticks, printed and parsed as doubles.
      times.forEach((time, index) => expect(Math.abs(time - times[0]! - sourceTimes[index]!), `frame ${index}`).toBeLessThan(5e-7));
      if (cfr !== undefined) {
        times.slice(1).forEach((time, index) => expect(Math.abs(time - times[index]! - 1 / cfr), `delta after frame ${index}`).toBeLessThan(5e-7));
      }
      // Decode order stays strictly increasing across the seams (B-frames reorder inside a chunk).
      list.slice(1).forEach((packet, index) => expect(packet.dts, `dts of packet ${index + 1}`).toBeGreaterThan(list[index]!.dts));
    }
  });

  it('puts IDR frames exactly on the GOP grid and nowhere else, the same in every rung', async () => {
    // The first frame at or after each multiple of gopSeconds, counted from each chunk's start.
    const expected = result.chunks.flatMap((chunk) => {
      const inChunk = result.frames.filter((frame) => frame.pts >= chunk.startSeconds && (chunk.endSeconds === undefined || frame.pts < chunk.endSeconds));
      const keyframes: number[] = [];
      for (const frame of inChunk) {
        if (frame.pts - chunk.startSeconds >= keyframes.length * gopSeconds - 1e-4) keyframes.push(frame.pts - result.frames[0]!.pts);
      }
      return keyframes;
    });
    for (const { path } of Object.values(result.outputs)) {
      const { timeBase, packets: list } = await packets(path, 'v:0');
      const keyframeTimes = list.filter((packet) => packet.keyframe).map((packet) => packet.pts * timeBase);
      expect(keyframeTimes.length).toBe(expected.length);
      keyframeTimes.forEach((time, index) => expect(time).toBeCloseTo(expected[index]!, 5));
    }
  });

  it('keeps the audio on the source clock: priming and codec delay removed, no shift', async () => {
    // The fixtures click every 0.5 s of source time from 0; the output's zero is the first video
    // frame (vp9.webm's is at 7 ms). A 21 ms AAC priming left in, or Opus's delay taken twice, shows.
    const [first] = Object.values(result.outputs);
    const videoStart = result.frames[0]!.pts;
    const clicks = (await clickOnsets(first!.path, 5)).filter((onset) => onset > 0.25);
    expect(clicks.length).toBeGreaterThanOrEqual(4);
    clicks.forEach((onset, index) => expect(Math.abs(onset - ((index + 1) * 0.5 - videoStart)), `click ${index + 1} at ${onset}`).toBeLessThan(0.0015));
  });

  if (fixture === 'long-gop.mp4') {
    it('cuts ~4 s chunks although the source has a keyframe only every 10 s', () => {
      expect(result.chunks.map((chunk) => chunk.cutFromSeconds)).toEqual([0, 0, 0, 10, 10, 20]);
      expect(result.chunks.map((chunk) => chunk.frames)).toEqual([120, 120, 120, 120, 120, 30]);
    });
  }
});

describe('chunks encoded at different CRFs (target mode)', () => {
  it('are joined by stream copy: the headers do not depend on the CRF (x264 stitchable)', async () => {
    // x264 otherwise writes a PPS whose initial QP follows the CRF, and the assembler refuses to
    // join chunks whose decoder configurations differ: every target-mode job with a CRF step failed.
    const result = await encodeChunked({
      sourcePath: await videoFixture('h264.mp4'),
      format: 'mp4',
      rungs: SMALL_LADDER,
      chunkSeconds: 2,
      gopSeconds: 1,
      crfOfChunk: (index) => (index % 2 === 0 ? 18 : 34),
      workDir: join(workRoot, 'crf-per-chunk'),
    });
    expect(result.chunks.length).toBeGreaterThan(1);
    for (const { assembled } of Object.values(result.outputs)) expect(assembled.frames).toBe(result.frames.length);
  }, 90_000);
});

/** Times (s) where the audio first rises above a click's level after a quiet stretch. */
async function clickOnsets(path: string, count: number): Promise<number[]> {
  const sampleRate = 48_000;
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', path, '-map', '0:a:0', '-ac', '1', '-f', 'f32le', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  const samples = new Float32Array(stdout.buffer, stdout.byteOffset, stdout.byteLength / 4);
  const onsets: number[] = [];
  let quietSince = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < samples.length && onsets.length < count; index++) {
    if (Math.abs(samples[index]!) > 0.25) {
      if (index - quietSince > 0.1 * sampleRate) onsets.push(index / sampleRate);
      quietSince = index;
    }
  }
  return onsets;
}
