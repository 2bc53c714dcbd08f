import { describe, expect, it } from 'vitest';
import { formatMasterPlaylist, type MasterPlaylistAudio, type MasterPlaylistVariant } from '../../shared/media/ffmpeg/format-master-playlist.ts';

const audioTrack = (overrides: Partial<MasterPlaylistAudio> = {}): MasterPlaylistAudio => ({
  uri: 'audio/en/index.m3u8',
  bandwidth: 140_000,
  averageBandwidth: 130_000,
  codecs: 'mp4a.40.2',
  channels: 2,
  language: 'en',
  name: 'English',
  ...overrides,
});

const variant = (overrides: Partial<MasterPlaylistVariant> = {}): MasterPlaylistVariant => ({
  uri: '720p/index.m3u8',
  bandwidth: 3_210_987.6,
  averageBandwidth: 2_100_000.4,
  width: 1280,
  height: 720,
  frameRate: 30000 / 1001,
  codecs: 'avc1.64001f,mp4a.40.2',
  ...overrides,
});

describe('formatMasterPlaylist', () => {
  it('writes one EXT-X-STREAM-INF per variant, in the order given, with every attribute', () => {
    const text = formatMasterPlaylist([variant(), variant({ uri: '360p/index.m3u8', bandwidth: 800_000, averageBandwidth: 600_000, width: 640, height: 360, frameRate: 25, codecs: 'avc1.64001e,mp4a.40.2' })]);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-STREAM-INF:BANDWIDTH=3210988,AVERAGE-BANDWIDTH=2100000,RESOLUTION=1280x720,FRAME-RATE=29.970,CODECS="avc1.64001f,mp4a.40.2"',
        '720p/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=800000,AVERAGE-BANDWIDTH=600000,RESOLUTION=640x360,FRAME-RATE=25.000,CODECS="avc1.64001e,mp4a.40.2"',
        '360p/index.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('names one audio group from every variant, whose bandwidth and codecs then count the audio too', () => {
    const audio = { uri: 'audio/index.m3u8', bandwidth: 140_000, averageBandwidth: 130_500, codecs: 'mp4a.40.2', channels: 2 };
    const text = formatMasterPlaylist([variant({ codecs: 'avc1.64001f' })], audio);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="default",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=3350988,AVERAGE-BANDWIDTH=2230500,RESOLUTION=1280x720,FRAME-RATE=29.970,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio"',
        '720p/index.m3u8',
        '',
      ].join('\n'),
    );
    expect(() => formatMasterPlaylist([variant()], { ...audio, uri: 'a"b.m3u8' })).toThrow();
  });

  it('names every audio track in one group, with its language, name and the default, and a subtitles group, from every variant', () => {
    const english = { uri: 'audio/en/index.m3u8', bandwidth: 140_000, averageBandwidth: 130_500, codecs: 'mp4a.40.2', channels: 2, language: 'en', name: 'English', default: true };
    const french = { ...english, uri: 'audio/fr/index.m3u8', bandwidth: 150_000, averageBandwidth: 129_000, language: 'fr', name: 'Français', default: false };
    const subtitles = [
      { uri: 'subtitles/en/index.m3u8', language: 'en', name: 'English' },
      { uri: 'subtitles/en-2/index.m3u8', language: 'en', name: 'English SDH' },
    ];
    const text = formatMasterPlaylist([variant({ codecs: 'avc1.64001f' })], [french, english], subtitles);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",LANGUAGE="fr",NAME="Français",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio/fr/index.m3u8"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",LANGUAGE="en",NAME="English",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/en/index.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subtitles",LANGUAGE="en",NAME="English",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subtitles/en/index.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subtitles",LANGUAGE="en",NAME="English SDH",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subtitles/en-2/index.m3u8"',
        // The largest audio rendition's peak and average each, added to the video's (§4.3.4.2); its codec once.
        '#EXT-X-STREAM-INF:BANDWIDTH=3360988,AVERAGE-BANDWIDTH=2230500,RESOLUTION=1280x720,FRAME-RATE=29.970,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio",SUBTITLES="subtitles"',
        '720p/index.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('makes the first audio track the default when none is flagged', () => {
    const track = (language: string) => ({ uri: `audio/${language}/index.m3u8`, bandwidth: 1, averageBandwidth: 1, codecs: 'mp4a.40.2', channels: 2, language, name: language });
    const text = formatMasterPlaylist([variant()], [track('de'), track('it')]);
    expect(text.match(/DEFAULT=\w+/g)).toEqual(['DEFAULT=YES', 'DEFAULT=NO']);
  });

  it.each<[string, Parameters<typeof formatMasterPlaylist>[1], Parameters<typeof formatMasterPlaylist>[2]]>([
    ['two default audio tracks', [audioTrack({ default: true }), audioTrack({ name: 'B', default: true })], []],
    ['two audio tracks of one name', [audioTrack(), audioTrack()], []],
    ['an audio name with a quote', [audioTrack({ name: 'a"b' })], []],
    ['an audio name with a line break', [audioTrack({ name: 'a\nb' })], []],
    ['a language that is no tag', [audioTrack({ language: 'en",X="1' })], []],
    ['two subtitle tracks of one name', [], [{ uri: 's/a.m3u8', language: 'en', name: 'A' }, { uri: 's/b.m3u8', language: 'en', name: 'A' }]],
    ['a subtitles URI with a quote', [], [{ uri: 's/"a.m3u8', language: 'en', name: 'A' }]],
  ])('refuses %s', (_, audio, subtitles) => {
    expect(() => formatMasterPlaylist([variant()], audio, subtitles)).toThrow();
  });

  it.each<[string, Partial<MasterPlaylistVariant>]>([
    ['a URI with a quote', { uri: 'a"b/index.m3u8' }],
    ['a URI that starts a tag', { uri: '#EXT-X-ENDLIST' }],
    ['a URI with a newline', { uri: 'a\nb' }],
    ['a codecs list with a quote', { codecs: 'avc1.64001f",x' }],
    ['a zero bandwidth', { bandwidth: 0 }],
    ['a NaN frame rate', { frameRate: Number.NaN }],
  ])('refuses %s', (_, overrides) => {
    expect(() => formatMasterPlaylist([variant(overrides)])).toThrow();
  });

  it('refuses an empty ladder', () => {
    expect(() => formatMasterPlaylist([])).toThrow();
  });
});
