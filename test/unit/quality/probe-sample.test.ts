/**
 * The pure parts of target mode's probes (probe-encode.ts): which frames a probe encodes, where
 * its IDRs go, how its frames are weighed, and the graph that scores a round.
 */
import { describe, expect, it } from 'vitest';
import { chunkIdrFrames, probeScoreGraph, sampleFrames, sampleIdrFrames, weighProbeFrames } from '../../../shared/media/ffmpeg/probe-encode.ts';

describe('sampleFrames', () => {
  it.each([
    ['every 5th of a 4 s chunk at 30 fps', 120, Array.from({ length: 24 }, (_, index) => 5 * index)],
    ['every 5th of 100 frames (never more than 24)', 100, Array.from({ length: 20 }, (_, index) => 5 * index)],
    ['every 10th at 60 fps', 240, Array.from({ length: 24 }, (_, index) => 10 * index)],
    ['every frame of a short chunk', 20, Array.from({ length: 20 }, (_, index) => index)],
    ['every other frame of 25', 25, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]],
  ])('%s', (_, frames, expected) => {
    expect(sampleFrames(frames)).toEqual(expected);
  });
});

describe('chunkIdrFrames (as encodeChunk forces them)', () => {
  it.each([
    ['a GOP grid of 2 s in a 4 s chunk', { chunkFrames: 120, durationSeconds: 4, gopSeconds: 2 }, [0, 60]],
    ['a cut between grid points', { chunkFrames: 120, durationSeconds: 4, gopSeconds: 2, keyframeSeconds: [1.2345] }, [0, 38, 60]],
    ['a cut on a grid frame counts once', { chunkFrames: 120, durationSeconds: 4, gopSeconds: 2, keyframeSeconds: [2] }, [0, 60]],
    ['a short last chunk', { chunkFrames: 15, durationSeconds: 0.5, gopSeconds: 2 }, [0]],
    // A chunk that ends on a grid point has no IDR there: the next chunk's first frame is.
    ['no IDR at the chunk’s end', { chunkFrames: 60, durationSeconds: 2, gopSeconds: 1 }, [0, 30]],
  ])('%s', (_, chunk, expected) => {
    expect(chunkIdrFrames(chunk)).toEqual(expected);
  });
});

describe('sampleIdrFrames', () => {
  it.each([
    ['the grid falls on sampled frames', [0, 60], [0, 12]],
    ['a cut between sampled frames: the first sampled frame after it', [0, 38, 60], [0, 8, 12]],
    ['an IDR past the last sampled frame is dropped', [0, 118], [0]],
  ])('%s', (_, idrs, expected) => {
    expect(sampleIdrFrames(sampleFrames(120), idrs)).toEqual(expected);
  });
});

describe('weighProbeFrames', () => {
  it('counts the IDR frames at the chunk’s IDR share, the rest at the rest', () => {
    // Two IDRs in 24 sampled frames (1 in 12); the chunk's share is 2 in 120.
    const scores = Array.from({ length: 24 }, (_, index) => (index % 12 === 0 ? 0.99 : 0.97));
    const score = weighProbeFrames(scores, { idrFrames: [0, 12], idrShare: 2 / 120 });
    expect(score.mean).toBeCloseTo((2 / 120) * 0.99 + (118 / 120) * 0.97, 12);
    expect(score.mean).toBeLessThan(scores.reduce((sum, value) => sum + value, 0) / scores.length);
    expect(score).toMatchObject({ minFrame: 0.97, frames: 24 });
  });

  it('is the plain mean where every frame is of one kind', () => {
    expect(weighProbeFrames([0.9, 0.8], { idrFrames: [0, 1], idrShare: 0.01 }).mean).toBeCloseTo(0.85, 12);
    expect(weighProbeFrames([0.9, 0.8], { idrFrames: [], idrShare: 0.01 }).mean).toBeCloseTo(0.85, 12);
  });

  it('refuses a share outside [0, 1] and an empty probe', () => {
    expect(() => weighProbeFrames([0.9], { idrFrames: [0], idrShare: 1.5 })).toThrow(RangeError);
    expect(() => weighProbeFrames([], { idrFrames: [], idrShare: 0.1 })).toThrow(RangeError);
  });
});

describe('probeScoreGraph', () => {
  it('scores each probe against its rung’s reference, split where probes share one (ssim)', () => {
    expect(probeScoreGraph({ metric: 'ssim', statsPaths: ['/w/p0.log', '/w/p1.log', '/w/p2.log'], references: [0, 1, 0], referenceCount: 2 })).toBe([
      '[3:v:0]setsar=1,format=yuv420p,split=2[r0][r2]',
      '[4:v:0]setsar=1,format=yuv420p,split=1[r1]',
      '[0:v:0]setsar=1,format=yuv420p[d0];[d0][r0]ssim=stats_file=/w/p0.log[m0]',
      '[1:v:0]setsar=1,format=yuv420p[d1];[d1][r1]ssim=stats_file=/w/p1.log[m1]',
      '[2:v:0]setsar=1,format=yuv420p[d2];[d2][r2]ssim=stats_file=/w/p2.log[m2]',
    ].join(';'));
  });

  it('scores in VMAF through libvmaf, the probe first, its JSON log per probe (a vmaf target)', () => {
    expect(probeScoreGraph({ metric: 'vmaf', statsPaths: ['/w/p0.json'], references: [0], referenceCount: 1 })).toBe(
      '[1:v:0]setsar=1,format=yuv420p,split=1[r0];[0:v:0]setsar=1,format=yuv420p[d0];[d0][r0]libvmaf=log_path=/w/p0.json:log_fmt=json[m0]',
    );
  });

  it('refuses a stats path that would need escaping inside the graph', () => {
    expect(() => probeScoreGraph({ metric: 'ssim', statsPaths: ['/w/a:b.log'], references: [0], referenceCount: 1 })).toThrow(TypeError);
  });
});
