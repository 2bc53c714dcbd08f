import { describe, expect, it } from 'vitest';
import { RENDITION_PROFILE } from '../../shared/rendition-profile.ts';
import { planStoryboard, storyboardCues } from '../../shared/storyboard/plan-storyboard.ts';
import { parseStoryboardVtt, writeStoryboardVtt, type StoryboardVttCue } from '../../shared/storyboard/storyboard-vtt.ts';

const cues: StoryboardVttCue[] = [
  { startSeconds: 0, endSeconds: 5, url: '00.jpg', x: 0, y: 0, width: 160, height: 90 },
  { startSeconds: 5, endSeconds: 10, url: '00.jpg', x: 160, y: 0, width: 160, height: 90 },
  { startSeconds: 10, endSeconds: 12.345, url: '01.jpg', x: 0, y: 90, width: 160, height: 90 },
];

describe('storyboard WebVTT', () => {
  it('writes one cue per tile, url#xywh relative to the file', () => {
    expect(writeStoryboardVtt(cues)).toBe(
      'WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n00.jpg#xywh=0,0,160,90\n\n00:00:05.000 --> 00:00:10.000\n00.jpg#xywh=160,0,160,90\n\n00:00:10.000 --> 00:00:12.345\n01.jpg#xywh=0,90,160,90\n',
    );
  });

  it('reads back what it writes', () => {
    expect(parseStoryboardVtt(writeStoryboardVtt(cues))).toEqual(cues);
  });

  it('round-trips a planned 4-hour storyboard, cue for cue', () => {
    const layout = planStoryboard({ durationSeconds: 14_399.987, width: 1920, height: 1080, profile: RENDITION_PROFILE.storyboard });
    const planned = storyboardCues(layout).map(({ startSeconds, endSeconds, sprite, x, y, width, height }) => ({ startSeconds, endSeconds, url: `${String(sprite).padStart(2, '0')}.jpg`, x, y, width, height }));
    const parsed = parseStoryboardVtt(writeStoryboardVtt(planned));
    expect(parsed).toEqual(planned);
    expect(parsed.at(-1)!.endSeconds).toBe(14_399.987);
  });

  it('reads what other tools write: CRLF, a BOM, cue identifiers, hours left out, NOTE blocks, cue settings', () => {
    const text = '\uFEFFWEBVTT - thumbnails\r\n\r\nNOTE made elsewhere\r\n\r\n1\r\n00:00.000 --> 00:05.000 align:start\r\nhttps://cdn.example/s.jpg#xywh=0,0,128,72\r\n\r\n2\r\n01:00:05.000 --> 01:00:10.500\r\ns.jpg#xywh=128,0,128,72\r\n';
    expect(parseStoryboardVtt(text)).toEqual([
      { startSeconds: 0, endSeconds: 5, url: 'https://cdn.example/s.jpg', x: 0, y: 0, width: 128, height: 72 },
      { startSeconds: 3605, endSeconds: 3610.5, url: 's.jpg', x: 128, y: 0, width: 128, height: 72 },
    ]);
  });

  it.each([
    ['no header', '00:00.000 --> 00:05.000\na.jpg#xywh=0,0,1,1\n'],
    ['a cue without a region', 'WEBVTT\n\n00:00.000 --> 00:05.000\na.jpg\n'],
    ['a block that is no cue', 'WEBVTT\n\nhello\n'],
  ])('refuses %s', (_, text) => {
    expect(() => parseStoryboardVtt(text)).toThrow(SyntaxError);
  });

  it('refuses to write a URL that would break the payload, or a fractional region', () => {
    expect(() => writeStoryboardVtt([{ ...cues[0]!, url: 'a b.jpg' }])).toThrow(TypeError);
    expect(() => writeStoryboardVtt([{ ...cues[0]!, x: 1.5 }])).toThrow(RangeError);
  });
});
