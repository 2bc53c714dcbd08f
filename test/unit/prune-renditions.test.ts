import { describe, expect, it } from 'vitest';
import { pruneRenditions } from '../../functions/assembler/prune-renditions.ts';
import type { VideoRendition } from '../../shared/contracts/manifest.ts';

function rendition(rung: string, height: number, bitrateKbps: number, mean?: number, min = mean): VideoRendition {
  return {
    kind: 'video',
    rung,
    key: `job/video/${rung}.mp4`,
    codecs: 'avc1.64001f,mp4a.40.2',
    width: (height * 16) / 9,
    height,
    bitrateKbps,
    durationSeconds: 6,
    frames: 150,
    bytes: bitrateKbps * 750,
    ...(mean === undefined
      ? {}
      : { quality: { metric: 'ssim' as const, mean, min: min!, worstChunk: 0, minFrame: mean, frames: 150, sampleEvery: 1, reference: { width: 1280, height: 720, scaler: 'bicubic' as const } } }),
  };
}

const target = { metric: 'ssim' as const, value: 0.98 };
/** As the assembler passes them: each rendition with its HLS variant's (video-only) bitrate; here the MP4's less 128 kbps of audio. */
const ladder = (renditions: readonly VideoRendition[]) => renditions.map((rendition) => ({ rendition, videoBitrateKbps: rendition.bitrateKbps - 128 }));
// Slides: the 480p rung costs 1.2× the 360p one and adds nothing.
const slides = [rendition('720p', 720, 500, 0.995), rendition('480p', 480, 300, 0.993), rendition('360p', 360, 250, 0.99)];

describe('pruneRenditions', () => {
  it('drops what pruneLadder drops, in target mode, naming the metric', () => {
    const { kept, dropped, prunedBy } = pruneRenditions({ ladder: ladder(slides), target });
    expect(kept.map((kept) => kept.rung)).toEqual(['720p', '360p']);
    expect(dropped).toEqual([expect.objectContaining({ rung: '480p', bitrateKbps: 172, quality: 0.993, reason: 'only 1.4× the bitrate of 360p' })]);
    expect(prunedBy).toBe('ssim');
  });

  it('places each rung by its mean quality as viewed, not by its worst chunk', () => {
    // By the worst chunk, 480p would sit under the line from 360p to 720p; by the mean it is on the hull.
    const renditions = [rendition('720p', 720, 1000, 0.99, 0.98), rendition('480p', 480, 600, 0.98, 0.9), rendition('360p', 360, 300, 0.95, 0.89)];
    expect(pruneRenditions({ ladder: ladder(renditions), target })).toEqual({ kept: renditions, dropped: [], prunedBy: 'ssim' });
  });

  it.each([
    ['without a target', slides, undefined],
    ['while a rung has no measured quality', [...slides.slice(0, 2), rendition('360p', 360, 250)], target],
  ])('keeps the whole ladder %s', (_, renditions, withTarget) => {
    const result = pruneRenditions({ ladder: ladder(renditions), ...(withTarget ? { target: withTarget } : {}) });
    expect(result).toEqual({ kept: renditions, dropped: [] });
  });

  it('keeps the whole ladder when the rungs were measured in different metrics (their qualities do not compare)', () => {
    const psnr = rendition('360p', 360, 250, 40);
    const renditions = [...slides.slice(0, 2), { ...psnr, quality: { ...psnr.quality!, metric: 'psnr' as const } }];
    expect(pruneRenditions({ ladder: ladder(renditions), target })).toEqual({ kept: renditions, dropped: [] });
  });

  it('judges the rungs by their video bitrate: the HLS variants carry the audio apart', () => {
    // Video 100 and 160 kbps (1.6×, far enough apart); the MP4s, with 128 kbps of audio each, are 228 and 288 (1.26×).
    const renditions = [rendition('480p', 480, 288, 0.985), rendition('360p', 360, 228, 0.97)];
    expect(pruneRenditions({ ladder: ladder(renditions), target })).toEqual({ kept: renditions, dropped: [], prunedBy: 'ssim' });
  });
});
