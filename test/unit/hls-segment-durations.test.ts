import { describe, expect, it } from 'vitest';
import { fitSegmentDurations } from '../../shared/media/ffmpeg/package-hls.ts';

const playlist = (target: number, extinfs: readonly number[]) =>
  ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-MAP:URI="init.mp4"']
    .concat(extinfs.flatMap((seconds, index) => [`#EXTINF:${seconds.toFixed(6)},`, `seg-${String(index).padStart(5, '0')}.m4s`]), ['#EXT-X-ENDLIST', ''])
    .join('\n');
const extinfs = (text: string) => [...text.matchAll(/#EXTINF:([0-9.]+),/g)].map((match) => Number(match[1]));

describe('fitSegmentDurations', () => {
  // Regression: ffmpeg's hls muxer timed vfr.mp4's last segment by frame count (1.333 s for 1.967 s).
  it('makes the EXTINFs add up to the track: a VFR last segment', () => {
    const fixed = fitSegmentDurations(playlist(2, [2, 1.333333]), { durationSeconds: 3.966667, leadSeconds: 0 });
    expect(extinfs(fixed)).toEqual([2, 1.966667]);
  });

  // Regression: h264.mp4's audio playlist added up to 6.037 s for 6 s.
  it('leaves out an audio track\'s priming and padding', () => {
    const fixed = fitSegmentDurations(playlist(2, [2.005333, 2.005333, 2.005333, 0.021333]), { durationSeconds: 6, leadSeconds: 0.021333 });
    expect(extinfs(fixed)).toEqual([1.984, 2.005333, 2.005333, 0.005334]);
  });

  it('raises the target duration to cover a longer last segment', () => {
    const fixed = fitSegmentDurations(playlist(4, [0.033333]), { durationSeconds: 4.6, leadSeconds: 0 });
    expect(extinfs(fixed)).toEqual([4.6]);
    expect(fixed).toContain('#EXT-X-TARGETDURATION:5');
  });

  it('changes nothing where the earlier segments already cover the track', () => {
    const text = playlist(2, [2, 2]);
    expect(fitSegmentDurations(text, { durationSeconds: 4, leadSeconds: 0 })).toBe(text);
  });
});
