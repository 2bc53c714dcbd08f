import { describe, expect, it } from 'vitest';
import { planChunks, type SourceFrame } from '../../functions/splitter/plan-chunks.ts';

/** Frames at a constant rate, with a keyframe every `gop` frames. */
function cfr({ fps, seconds, gop, start = 0 }: { fps: number; seconds: number; gop: number; start?: number }): SourceFrame[] {
  return Array.from({ length: Math.round(fps * seconds) }, (_, index) => ({ pts: start + index / fps, keyframe: index % gop === 0 }));
}

describe('planChunks', () => {
  it('cuts a 30 fps source with 2 s GOPs into 4 s chunks that start on keyframes', () => {
    const chunks = planChunks({ frames: cfr({ fps: 30, seconds: 12, gop: 60 }), chunkSeconds: 4, endSeconds: 12 });
    expect(chunks.map((chunk) => [chunk.startSeconds, chunk.frames, chunk.cutFromSeconds])).toEqual([
      [0, 120, 0],
      [4, 120, 4],
      [8, 120, 8],
    ]);
    expect(chunks.map((chunk) => chunk.durationSeconds)).toEqual([4, 4, 4]);
    expect(chunks.at(-1)!.endSeconds).toBeUndefined();
    expect(chunks[0]!.endSeconds).toBe(4);
  });

  it('still makes ~4 s chunks when keyframes are 10 s apart, each cut from the keyframe before it', () => {
    const chunks = planChunks({ frames: cfr({ fps: 30, seconds: 21, gop: 300 }), chunkSeconds: 4, endSeconds: 21 });
    expect(chunks.map((chunk) => [chunk.startSeconds, chunk.cutFromSeconds])).toEqual([
      [0, 0],
      [4, 0],
      [8, 0],
      [12, 10],
      [16, 10],
    ]);
    // 20–21 s is shorter than half a chunk: it joins the chunk before.
    expect(chunks.at(-1)!.frames).toBe(150);
    expect(chunks.reduce((sum, chunk) => sum + chunk.frames, 0)).toBe(630);
  });

  it('accounts for every frame exactly once, whatever the rate', () => {
    for (const [fps, seconds] of [[23.976, 9.5], [25, 7], [59.94, 5], [30, 4.01]] as const) {
      const frames = cfr({ fps, seconds, gop: 48 });
      const chunks = planChunks({ frames, chunkSeconds: 2, endSeconds: seconds });
      expect(chunks.reduce((sum, chunk) => sum + chunk.frames, 0)).toBe(frames.length);
      chunks.slice(1).forEach((chunk, index) => expect(chunk.startSeconds).toBe(chunks[index]!.endSeconds));
    }
  });

  it('follows variable frame rate timestamps', () => {
    const frames: SourceFrame[] = [];
    let pts = 0;
    for (let index = 0; index < 90; index++) {
      frames.push({ pts, keyframe: index % 30 === 0 });
      pts += index % 2 === 0 ? 1 / 30 : 1 / 15;
    }
    const chunks = planChunks({ frames, chunkSeconds: 1, endSeconds: pts });
    for (const chunk of chunks) expect(chunk.startSeconds).toBeGreaterThanOrEqual(chunk.index * 1 - 1e-6);
    expect(chunks.reduce((sum, chunk) => sum + chunk.durationSeconds, 0)).toBeCloseTo(pts - frames[0]!.pts, 9);
  });

  it('keeps a source timestamp offset (the first frame not at 0)', () => {
    const chunks = planChunks({ frames: cfr({ fps: 25, seconds: 8, gop: 25, start: 1.4 }), chunkSeconds: 4, endSeconds: 9.4 });
    expect(chunks.map((chunk) => chunk.startSeconds)).toEqual([1.4, 5.4]);
  });

  it('gives a short source one chunk and an empty one none', () => {
    expect(planChunks({ frames: cfr({ fps: 30, seconds: 1, gop: 30 }), chunkSeconds: 4, endSeconds: 1 })).toHaveLength(1);
    expect(planChunks({ frames: [], chunkSeconds: 4, endSeconds: 0 })).toEqual([]);
  });

  // Regression: these threw "the first video frame is not a keyframe" (failed INTERNAL).
  it('starts at the first shown frame of an edit-listed file, cut from the hidden keyframe before it', () => {
    const frames = cfr({ fps: 10, seconds: 3, gop: 10, start: -0.3 }).map((frame, index) => ({ ...frame, discard: index < 3 }));
    const chunks = planChunks({ frames, chunkSeconds: 1, endSeconds: 2.7 });
    const round = (seconds: number) => Number(seconds.toFixed(9));
    expect(chunks.map((chunk) => [round(chunk.startSeconds), round(chunk.cutFromSeconds), chunk.frames])).toEqual([
      [0, -0.3, 10],
      [1, 0.7, 10],
      [2, 1.7, 7],
    ]);
  });

  it('leaves out the frames before the first keyframe of a file that starts mid-GOP', () => {
    const frames = cfr({ fps: 10, seconds: 2, gop: 10 }).map((frame, index) => ({ ...frame, keyframe: index === 4 || index === 14 }));
    const chunks = planChunks({ frames, chunkSeconds: 1, endSeconds: 2 });
    expect(chunks.map((chunk) => [chunk.startSeconds, chunk.cutFromSeconds, chunk.frames])).toEqual([
      [0.4, 0.4, 10],
      [1.4, 1.4, 6],
    ]);
  });

  it('plans nothing when no frame decodes', () => {
    expect(planChunks({ frames: [{ pts: 0, keyframe: false }], chunkSeconds: 4, endSeconds: 1 })).toEqual([]);
  });
});
