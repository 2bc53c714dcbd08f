import { describe, expect, it } from 'vitest';
import { pruneLadder, type LadderPoint } from '../../shared/quality/prune-ladder.ts';

const sizes: Record<string, [number, number]> = { '1080p': [1920, 1080], '720p': [1280, 720], '480p': [854, 480], '360p': [640, 360] };
function ladder(points: [string, number, number][]): LadderPoint[] {
  return points.map(([rung, bitrateKbps, quality]) => ({ rung, width: sizes[rung]![0], height: sizes[rung]![1], bitrateKbps, quality }));
}

describe('pruneLadder', () => {
  it.each([
    ['keeps a concave, well-spaced ladder', [['1080p', 5000, 0.99], ['720p', 2500, 0.98], ['480p', 1100, 0.96], ['360p', 600, 0.93]], ['1080p', '720p', '480p', '360p'], {}],
    ['drops a rung under the hull', [['1080p', 4000, 0.99], ['720p', 2000, 0.97], ['480p', 1000, 0.92], ['360p', 500, 0.90]], ['1080p', '720p', '360p'], { '480p': 'not on the convex hull: 480p adds 0.02 SSIM for 2.0× the bits of 360p' }],
    ['drops a rung too close in bitrate to the kept one below', [['1080p', 4000, 0.99], ['720p', 2000, 0.975], ['480p', 720, 0.95], ['360p', 600, 0.93]], ['1080p', '720p', '360p'], { '480p': 'only 1.2× the bitrate of 360p' }],
    ['drops a rung that adds nothing for more bits (slides)', [['1080p', 400, 0.995], ['720p', 300, 0.994], ['480p', 210, 0.993], ['360p', 150, 0.9929]], ['1080p', '360p'], {
      '720p': 'not on the convex hull: 720p adds 0.0011 SSIM for 2.0× the bits of 360p',
      '480p': 'not on the convex hull: 480p adds 0.0001 SSIM for 1.4× the bits of 360p',
    }],
    ['drops a rung with less quality than a cheaper one', [['1080p', 3000, 0.99], ['720p', 1500, 0.95], ['480p', 900, 0.96]], ['1080p', '480p'], { '720p': 'not on the convex hull: 720p loses 0.01 SSIM for 1.7× the bits of 480p' }],
    ['keeps the top rung even under the hull', [['1080p', 3000, 0.97], ['720p', 1500, 0.97], ['360p', 500, 0.90]], ['1080p', '720p', '360p'], {}],
    // Figures exact in binary: 720p lies on the line from 360p to 1080p, adding nothing over switching between them.
    ['drops a rung on the line between its neighbours', [['1080p', 3000, 0.875], ['720p', 2000, 0.8125], ['360p', 1000, 0.75]], ['1080p', '360p'], { '720p': 'not on the convex hull: 720p adds 0.063 SSIM for 2.0× the bits of 360p' }],
    // The top rung cheaper than the one below it (a CRF search can do that): the costlier rung adds no quality for its bits.
    ['drops a rung with no more quality than a cheaper one', [['1080p', 3000, 0.99], ['720p', 4600, 0.99], ['360p', 500, 0.9]], ['1080p', '360p'], { '720p': 'not on the convex hull: 720p adds 0 SSIM for 1.5× the bits of 1080p' }],
    ['keeps a rung exactly 1.5× the bitrate of the one below', [['1080p', 3000, 0.99], ['720p', 1500, 0.97], ['360p', 1000, 0.95]], ['1080p', '720p', '360p'], {}],
    ['keeps a lone rung', [['360p', 300, 0.9]], ['360p'], {}],
  ] as const)('%s', (_, points, kept, reasons) => {
    const result = pruneLadder({ rungs: ladder(points.map((point) => [...point])), metric: 'ssim' });
    expect(result.kept).toEqual(kept);
    expect(Object.fromEntries(result.dropped.map((rung) => [rung.rung, rung.reason]))).toEqual(reasons);
  });

  it('lists each dropped rung with its size, bitrate and quality', () => {
    const { dropped } = pruneLadder({ rungs: ladder([['720p', 1000, 95], ['480p', 950, 94.9], ['360p', 600, 90]]), metric: 'vmaf' });
    // 480p is 1.6× 360p, but the top rung is only 1.1× 480p: the top rung stays, 480p goes.
    expect(dropped).toEqual([{ rung: '480p', width: 854, height: 480, bitrateKbps: 950, quality: 94.9, reason: '720p, the top rung, is only 1.1× its bitrate' }]);
  });
});
