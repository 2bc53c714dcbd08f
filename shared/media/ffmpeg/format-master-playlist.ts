/**
 * An HLS master playlist (RFC 8216 §4.3.4.2) from measured variant facts. ffmpeg's own
 * `-master_pl_name` (5.1) writes BANDWIDTH from the stream's nominal bit rate plus 10% and
 * RESOLUTION, but no AVERAGE-BANDWIDTH, FRAME-RATE or, for fMP4, CODECS; so the playlist is
 * written here, from the segments as they came out.
 *
 * Audio, when there is any, is one rendition group that every variant names (EXT-X-MEDIA), one
 * rendition per audio track of the source: its segments are stored once, not once per rung, and
 * a player that switches rungs keeps its audio buffer. Each variant's BANDWIDTH and
 * AVERAGE-BANDWIDTH cover its video with the group's largest audio rendition, and its CODECS
 * the video's and the audio's together, as §4.3.4.2 asks. Text subtitles are a second group
 * (TYPE=SUBTITLES, WebVTT), which every variant names too. Languages and names come from the
 * source's tags through the track planner; here they are checked once more before they are
 * quoted, since a quote or a line break would break the playlist.
 */

export interface MasterPlaylistVariant {
  /** Relative URI of the variant's media playlist. */
  uri: string;
  /** Peak segment bit rate, bits/s. */
  bandwidth: number;
  /** Average segment bit rate, bits/s. */
  averageBandwidth: number;
  width: number;
  height: number;
  frameRate: number;
  /** RFC 6381, comma-separated: what the variant's own segments hold (its video, with an audio group). */
  codecs: string;
}

/** One audio rendition of the group every variant plays with. */
export interface MasterPlaylistAudio {
  uri: string;
  bandwidth: number;
  averageBandwidth: number;
  /** RFC 6381: `mp4a.40.2`. */
  codecs: string;
  channels: number;
  /** BCP 47; left out of the tag when unknown. */
  language?: string;
  /** Unique in the group; `default` when unnamed. */
  name?: string;
  /** The one a player starts with; the first when none is. */
  default?: boolean;
}

/** One WebVTT subtitle rendition: its media playlist lists the .vtt. */
export interface MasterPlaylistSubtitles {
  uri: string;
  language: string;
  name: string;
}

/** The GROUP-IDs the variants name. */
const AUDIO_GROUP = 'audio';
const SUBTITLES_GROUP = 'subtitles';

export function formatMasterPlaylist(
  variants: readonly MasterPlaylistVariant[],
  audio: MasterPlaylistAudio | readonly MasterPlaylistAudio[] = [],
  subtitles: readonly MasterPlaylistSubtitles[] = [],
): string {
  if (variants.length === 0) throw new TypeError('a master playlist needs at least one variant');
  const audios: readonly MasterPlaylistAudio[] = [audio].flat();
  const lines = [
    '#EXTM3U',
    // 7: fMP4 segments (EXT-X-MAP without I-frame-only playlists needs 6; ffmpeg writes 7).
    '#EXT-X-VERSION:7',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    ...audioMedia(audios),
    ...subtitlesMedia(subtitles),
  ];
  const audioPeak = Math.max(0, ...audios.map((rendition) => wholePositive(rendition.bandwidth, 'audio bandwidth')));
  const audioAverage = Math.max(0, ...audios.map((rendition) => wholePositive(rendition.averageBandwidth, 'audio averageBandwidth')));
  const audioCodecs = [...new Set(audios.map((rendition) => codecsList(rendition.codecs)))];
  for (const variant of variants) {
    const attributes = [
      `BANDWIDTH=${wholePositive(variant.bandwidth, 'bandwidth') + audioPeak}`,
      `AVERAGE-BANDWIDTH=${wholePositive(variant.averageBandwidth, 'averageBandwidth') + audioAverage}`,
      `RESOLUTION=${wholePositive(variant.width, 'width')}x${wholePositive(variant.height, 'height')}`,
      `FRAME-RATE=${positive(variant.frameRate, 'frameRate').toFixed(3)}`,
      `CODECS="${[codecsList(variant.codecs), ...audioCodecs].join(',')}"`,
      ...(audios.length > 0 ? [`AUDIO="${AUDIO_GROUP}"`] : []),
      ...(subtitles.length > 0 ? [`SUBTITLES="${SUBTITLES_GROUP}"`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, plainUri(variant.uri));
  }
  return `${lines.join('\n')}\n`;
}

function audioMedia(audios: readonly MasterPlaylistAudio[]): string[] {
  const flagged = audios.filter((rendition) => rendition.default);
  if (flagged.length > 1) throw new TypeError(`${flagged.length} audio renditions are marked default; at most one may be`);
  const defaultOne = flagged[0] ?? audios[0];
  const names = uniqueNames(audios.map((rendition) => rendition.name ?? 'default'), 'audio');
  return audios.map((rendition, index) =>
    `#EXT-X-MEDIA:${[
      'TYPE=AUDIO',
      `GROUP-ID="${AUDIO_GROUP}"`,
      ...(rendition.language === undefined ? [] : [`LANGUAGE="${languageTag(rendition.language)}"`]),
      `NAME="${names[index]}"`,
      `DEFAULT=${rendition === defaultOne ? 'YES' : 'NO'}`,
      'AUTOSELECT=YES',
      `CHANNELS="${wholePositive(rendition.channels, 'channels')}"`,
      `URI="${plainUri(rendition.uri)}"`,
    ].join(',')}`,
  );
}

/** DEFAULT=NO: captions stay off until the viewer (or a matching system preference, AUTOSELECT) turns them on. */
function subtitlesMedia(subtitles: readonly MasterPlaylistSubtitles[]): string[] {
  const names = uniqueNames(subtitles.map((rendition) => rendition.name), 'subtitles');
  return subtitles.map((rendition, index) =>
    `#EXT-X-MEDIA:${[
      'TYPE=SUBTITLES',
      `GROUP-ID="${SUBTITLES_GROUP}"`,
      `LANGUAGE="${languageTag(rendition.language)}"`,
      `NAME="${names[index]}"`,
      'DEFAULT=NO',
      'AUTOSELECT=YES',
      'FORCED=NO',
      `URI="${plainUri(rendition.uri)}"`,
    ].join(',')}`,
  );
}

/** §4.3.4.1: the renditions of one group have different NAMEs; each a quoted-string (no quote, no line break). */
function uniqueNames(names: readonly string[], group: string): string[] {
  for (const name of names) {
    if (name === '' || /["\p{Cc}]/u.test(name)) throw new TypeError(`not a quotable ${group} NAME: ${JSON.stringify(name)}`);
  }
  if (new Set(names).size !== names.length) throw new TypeError(`${group} renditions share a NAME: ${JSON.stringify(names)}`);
  return [...names];
}

function languageTag(language: string): string {
  if (!/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(language)) throw new TypeError(`not a BCP 47 language tag: ${JSON.stringify(language)}`);
  return language;
}

function plainUri(uri: string): string {
  if (/[",\s]/.test(uri) || uri === '' || uri.startsWith('#')) throw new TypeError(`not a plain relative URI: ${JSON.stringify(uri)}`);
  return uri;
}

function codecsList(codecs: string): string {
  if (!/^[A-Za-z0-9.]+(,[A-Za-z0-9.]+)*$/.test(codecs)) throw new TypeError(`not an RFC 6381 codecs list: ${JSON.stringify(codecs)}`);
  return codecs;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be positive, not ${value}`);
  return value;
}

function wholePositive(value: number, name: string): number {
  return Math.max(1, Math.round(positive(value, name)));
}
