import { describe, expect, it } from 'vitest';
import { planSceneCuts, type PlanSceneCutsArgs } from '../../functions/splitter/plan-scene-cuts.ts';
import { chunkKeyframeSeconds } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { shotStartsOf, smoothCrfs } from '../../shared/quality/smooth-crfs.ts';

/** Frame times at a constant rate, exact multiples of 1/fps as the listing prints them (µs). */
const frames = (fps: number, seconds: number, from = 0): number[] => Array.from({ length: Math.round(fps * seconds) }, (_, index) => Math.round((from + index / fps) * 1e6) / 1e6);
/** 6 s at 30 fps in 2 s chunks, 2 s GOPs: the grid's IDRs are at 0, 2 and 4 s. */
const SIX_SECONDS = { shownSeconds: frames(30, 6), chunks: [{ startSeconds: 0, endSeconds: 2 }, { startSeconds: 2, endSeconds: 4 }, { startSeconds: 4 }], gopSeconds: 2, minGapSeconds: 0.5 };

interface Case {
  name: string;
  args: Partial<PlanSceneCutsArgs> & Pick<PlanSceneCutsArgs, 'detected'>;
  expected: number[];
}

describe('planSceneCuts', () => {
  it.each<Case>([
    { name: 'keeps hard cuts off the grid', args: { detected: [1.3, 3.4] }, expected: [1.3, 3.4] },
    { name: 'sorts them, and keeps a cut found twice once', args: { detected: [3.4, 1.3, 3.4] }, expected: [1.3, 3.4] },
    { name: "snaps scdet's µs-rounded time to the listed frame", args: { detected: [1.3000004, 3.3999996] }, expected: [1.3, 3.4] },
    { name: 'drops a time on no frame (more than a millisecond from any)', args: { detected: [1.3167] }, expected: [] },
    { name: 'drops a cut on a grid IDR inside a chunk: it has one already', args: { detected: [1, 3], gopSeconds: 1 }, expected: [] },
    // The IDR is there already, so keeping the cut costs nothing; the CRF smoothing needs it to see a new shot start.
    { name: "keeps a cut on a chunk's first frame", args: { detected: [2, 4] }, expected: [2, 4] },
    { name: "keeps a cut on a chunk's first frame once, and leaves the grid's gap after it", args: { detected: [2, 2.3, 4.0000004] }, expected: [2, 4] },
    { name: 'drops a cut closer than the gap before a grid IDR (3.7 s, 0.3 s before 4 s)', args: { detected: [1.3, 3.7] }, expected: [1.3] },
    { name: 'drops a cut closer than the gap after a grid IDR (4.3 s)', args: { detected: [4.3] }, expected: [] },
    { name: 'keeps a cut exactly the gap from the grid', args: { detected: [2.5, 3.5] }, expected: [2.5, 3.5] },
    { name: 'thins a burst (a flash in and out) to its first change', args: { detected: [1.0, 1.1, 1.4, 1.5] }, expected: [1.0, 1.5] },
    { name: 'drops a time outside the planned frames', args: { detected: [-1, 6.5, 7] }, expected: [] },
    { name: 'has none without frames or chunks (audio alone)', args: { detected: [1.3], shownSeconds: [], chunks: [] }, expected: [] },
    {
      // Chunks start on the source's keyframes, not on multiples of the GOP: the grid runs from each chunk's start.
      name: "measures the gap from each chunk's own grid (a chunk starting at 2.1 s)",
      args: { detected: [2.4, 3.3, 4.5], chunks: [{ startSeconds: 0, endSeconds: 2.1 }, { startSeconds: 2.1 }] },
      expected: [3.3],
    },
    {
      // VFR: nothing between 1 s and 2.3 s, so the grid's second IDR is the frame at 2.3 s, not at 2 s.
      name: 'measures the gap from the frame the grid actually makes an IDR',
      args: { detected: [2.3, 2.6, 3.0], shownSeconds: [...frames(30, 1), ...frames(30, 3.7, 2.3)], chunks: [{ startSeconds: 0 }] },
      expected: [3.0],
    },
  ])('$name', ({ args, expected }) => {
    expect(planSceneCuts({ ...SIX_SECONDS, ...args })).toEqual(expected);
  });

  it('plans an hour at 60 fps with a cut in every GOP in a blink (one walk over the frames)', () => {
    const shownSeconds = frames(60, 3600);
    const chunks = Array.from({ length: 900 }, (_, index) => ({ startSeconds: index * 4, ...(index < 899 ? { endSeconds: (index + 1) * 4 } : {}) }));
    const detected = Array.from({ length: 1800 }, (_, index) => index * 2 + 1);
    const started = performance.now();
    const cuts = planSceneCuts({ detected, shownSeconds, chunks, gopSeconds: 2, minGapSeconds: 0.5 });
    expect(cuts).toHaveLength(1800);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('planned cuts and the CRF smoothing', () => {
  it('a shot change on a chunk boundary reaches the smoothing as a shot start: no smoothing across it', () => {
    // Slides: a new slide every 2 s, each chunk starting on one (the source's keyframes sit on its cuts).
    const sceneCuts = planSceneCuts({ ...SIX_SECONDS, detected: [2, 4] });
    const chunks = SIX_SECONDS.chunks.map((chunk, index) => ({ index, startSeconds: chunk.startSeconds }));
    const shotStarts = shotStartsOf(chunks, sceneCuts);
    expect(shotStarts).toEqual([1, 2]);
    expect(smoothCrfs({ crfs: [20, 34, 34], shotStarts })).toEqual([20, 34, 34]);
  });
});

describe('chunkKeyframeSeconds', () => {
  it("gives a chunk the cuts among its frames, from its first frame; the next chunk's first frame is not its", () => {
    const cuts = [1.3, 3.4, 4.0, 5.5];
    expect(chunkKeyframeSeconds(cuts, { startSeconds: 2, endSeconds: 4 })).toEqual([expect.closeTo(1.4, 9)]);
    expect(chunkKeyframeSeconds(cuts, { startSeconds: 4 })).toEqual([0, 1.5]);
    expect(chunkKeyframeSeconds(cuts, { startSeconds: 0, endSeconds: 1.3 })).toEqual([]);
  });
});
