import { describe, expect, it } from 'vitest';
import { languageTag, planTracks, type PlannedTracks } from '../../functions/splitter/plan-tracks.ts';
import type { StreamLabel } from '../../shared/media/ffmpeg/media-facts.ts';

const stream = (index: number, codec: string, labels: Partial<StreamLabel> = {}): StreamLabel => ({ index, codec, default: false, ...labels });
const summary = (tracks: PlannedTracks['audio'] | PlannedTracks['subtitles']) =>
  tracks.map((track) => [track.streamIndex, track.label, track.language, track.name, ...('default' in track ? [track.default] : [])]);

describe('planTracks: audio', () => {
  it.each<[string, StreamLabel[], boolean, unknown[]]>([
    ['one untagged track: und, the default', [stream(1, 'aac')], true, [[1, 'und', 'und', 'Unknown language', true]]],
    [
      'two languages, the flagged one default',
      [stream(1, 'aac', { language: 'eng' }), stream(2, 'opus', { language: 'fra', title: 'Commentaire', default: true })],
      true,
      [[1, 'en', 'en', 'English', false], [2, 'fr', 'fr', 'Commentaire', true]],
    ],
    [
      'Matroska flags every track default: the first flagged wins',
      [stream(1, 'aac', { language: 'ger', default: true }), stream(2, 'aac', { language: 'eng', default: true })],
      true,
      [[1, 'de', 'de', 'German', true], [2, 'en', 'en', 'English', false]],
    ],
    [
      'none flagged: the first',
      [stream(1, 'aac', { language: 'spa' }), stream(2, 'aac', { language: 'ita' })],
      true,
      [[1, 'es', 'es', 'Spanish', true], [2, 'it', 'it', 'Italian', false]],
    ],
    [
      'two of one language: labels and names kept apart',
      [stream(1, 'aac', { language: 'eng' }), stream(2, 'aac', { language: 'eng' }), stream(3, 'aac', { language: 'eng', title: 'English' })],
      true,
      [[1, 'en', 'en', 'English', true], [2, 'en-2', 'en', 'English 2', false], [3, 'en-3', 'en', 'English 3', false]],
    ],
    [
      'a codec outside the allowlist is left out, the next one is default',
      [stream(1, 'truehd', { language: 'eng', default: true }), stream(2, 'ac3', { language: 'eng' })],
      true,
      [[2, 'en', 'en', 'English', true]],
    ],
    [
      'an audio-only upload keeps its default track alone',
      [stream(0, 'aac', { language: 'eng' }), stream(1, 'aac', { language: 'fra', default: true })],
      false,
      [[1, 'fr', 'fr', 'French', true]],
    ],
    [
      'hostile tags: a quote and a line break in the title, a path in the language',
      [stream(1, 'aac', { language: '../../x', title: 'a"b\nc\u0000' })],
      true,
      [[1, 'und', 'und', 'ab c', true]],
    ],
    ['no audio at all', [], true, []],
  ])('%s', (_, audioStreams, withVideo, expected) => {
    expect(summary(planTracks({ audioStreams, subtitleStreams: [], withVideo }).audio)).toEqual(expected);
  });
});

describe('planTracks: subtitles', () => {
  it.each<[string, StreamLabel[], boolean, unknown[]]>([
    [
      'every text codec becomes a track; bitmap ones are left out',
      [
        stream(2, 'mov_text', { language: 'eng' }),
        stream(3, 'subrip', { language: 'fre' }),
        stream(4, 'ass', { language: 'jpn', title: 'Signs & Songs' }),
        stream(5, 'hdmv_pgs_subtitle', { language: 'eng' }),
        stream(6, 'dvd_subtitle', { language: 'deu' }),
        stream(7, 'webvtt'),
        stream(8, 'ssa', { language: 'pt-BR' }),
      ],
      true,
      [[2, 'en', 'en', 'English'], [3, 'fr', 'fr', 'French'], [4, 'ja', 'ja', 'Signs & Songs'], [7, 'und', 'und', 'Unknown language'], [8, 'pt-br', 'pt-BR', 'Brazilian Portuguese']],
    ],
    ['two English tracks', [stream(2, 'subrip', { language: 'eng' }), stream(3, 'subrip', { language: 'eng', title: 'SDH' })], true, [[2, 'en', 'en', 'English'], [3, 'en-2', 'en', 'SDH']]],
    ['without video, none', [stream(1, 'subrip', { language: 'eng' })], false, []],
  ])('%s', (_, subtitleStreams, withVideo, expected) => {
    expect(summary(planTracks({ audioStreams: [], subtitleStreams, withVideo }).subtitles)).toEqual(expected);
  });
});

describe('planTracks: names', () => {
  it('cuts a long title by characters, never through an emoji', () => {
    const title = `${'a'.repeat(59)}😀😀`;
    const [track] = planTracks({ audioStreams: [stream(1, 'aac', { title })], subtitleStreams: [], withVideo: true }).audio;
    expect(track!.name).toBe(`${'a'.repeat(59)}😀`);
    expect(track!.name.isWellFormed()).toBe(true);
  });
});

describe('languageTag', () => {
  it.each([
    ['eng', 'en'],
    ['fre', 'fr'],
    ['fra', 'fr'],
    ['en-US', 'en-US'],
    ['und', 'und'],
    [undefined, 'und'],
    ['', 'und'],
    ['e', 'und'],
    ['eng"', 'und'],
    ['x'.repeat(20), 'und'],
  ])('%j → %s', (tag, expected) => {
    expect(languageTag(tag)).toBe(expected);
  });
});
