import { describe, expect, it } from 'vitest';
import { planLadder } from '../../functions/splitter/plan-ladder.ts';

const sizes = (rungs: ReturnType<typeof planLadder>) => rungs.map((rung) => `${rung.name}:${rung.width}x${rung.height}`);

describe('planLadder', () => {
  it.each([
    { source: [1920, 1080], expected: ['1080p:1920x1080', '720p:1280x720', '480p:854x480', '360p:640x360'] },
    { source: [3840, 2160], expected: ['1080p:1920x1080', '720p:1280x720', '480p:854x480', '360p:640x360'] },
    { source: [1280, 720], expected: ['720p:1280x720', '480p:854x480', '360p:640x360'] },
    // odd dimensions: never above the source, even, aspect kept
    { source: [1918, 1078], expected: ['720p:1282x720', '480p:854x480', '360p:640x360'] },
    // portrait (a rotated phone video, already as displayed): named by the short side
    { source: [360, 640], expected: ['360p:360x640'] },
    { source: [1080, 1920], expected: ['1080p:1080x1920', '720p:720x1280', '480p:480x854', '360p:360x640'] },
    // smaller than every rung: one rung at the source size
    { source: [320, 180], expected: ['180p:320x180'] },
    { source: [321, 179], expected: ['180p:322x180'] },
  ])('$source → $expected', ({ source, expected }) => {
    expect(sizes(planLadder({ width: source[0]!, height: source[1]! }))).toEqual(expected);
  });

  it('caps every rung with a VBV buffer twice its maxrate', () => {
    for (const rung of planLadder({ width: 1920, height: 1080 })) expect(rung.bufsizeKbps).toBe(rung.maxrateKbps * 2);
  });
});
