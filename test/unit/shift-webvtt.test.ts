import { describe, expect, it } from 'vitest';
import { formatTimestamp, shiftWebVtt } from '../../shared/media/webvtt/shift-webvtt.ts';
import { withTimestampMap } from '../../shared/media/webvtt/package-hls-subtitles.ts';

describe('shiftWebVtt', () => {
  it('moves every cue by the shift, keeping identifiers, settings, text and NOTE blocks', () => {
    const source = ['WEBVTT', '', 'NOTE from ffmpeg', '', 'one', '01:40.500 --> 01:41.500 align:start', 'Hello', '', '01:42.000 --> 01:43.250', 'World', 'second line', ''].join('\n');
    expect(shiftWebVtt(source, 100.021)).toBe(
      ['WEBVTT', '', 'NOTE from ffmpeg', '', 'one', '00:00:00.479 --> 00:00:01.479 align:start', 'Hello', '', '00:00:01.979 --> 00:00:03.229', 'World', 'second line', ''].join('\n'),
    );
  });

  it('drops a cue that ends before zero, starts a straddling one at zero, reads hours and CRLF', () => {
    const source = 'WEBVTT\r\n\r\n00:00.100 --> 00:00.900\r\ngone\r\n\r\n00:00.500 --> 00:02.000\r\nkept\r\n\r\n01:00:00.000 --> 01:00:01.000\r\nlate\r\n';
    expect(shiftWebVtt(source, 1)).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nkept\n\n00:59:59.000 --> 01:00:00.000\nlate\n');
  });

  it('drops blocks that are no cue, and refuses text that is not WebVTT', () => {
    expect(shiftWebVtt('WEBVTT\n\nnot a cue\nat all\n\n00:01.000 --> 00:02.000\nx\n', 0)).toBe('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n');
    expect(() => shiftWebVtt('1\n00:00:01,000 --> 00:00:02,000\nSRT\n', 0)).toThrow(/WEBVTT/);
    expect(() => shiftWebVtt('WEBVTT\n', Number.NaN)).toThrow();
  });

  it('formats hours past 99', () => {
    expect(formatTimestamp(360_000_123)).toBe('100:00:00.123');
  });
});

describe('withTimestampMap', () => {
  it('puts the map right after the WEBVTT line, at 90 kHz', () => {
    expect(withTimestampMap('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n', 0.066667)).toBe('WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:6000,LOCAL:00:00:00.000\n\n00:00:01.000 --> 00:00:02.000\nx\n');
  });
});
