/**
 * An HLS master playlist (RFC 8216 §4.3.4.2) from measured variant facts. ffmpeg's own
 * `-master_pl_name` (5.1) writes BANDWIDTH from the stream's nominal bit rate plus 10% and
 * RESOLUTION, but no AVERAGE-BANDWIDTH, FRAME-RATE or, for fMP4, CODECS; so the playlist is
 * written here, from the segments as they came out.
 *
 * Audio, when there is any, is one rendition group that every variant names (EXT-X-MEDIA): its
 * segments are stored once, not once per rung, and a player that switches rungs keeps its audio
 * buffer. Each variant's BANDWIDTH, AVERAGE-BANDWIDTH and CODECS then cover its video and the
 * audio together, as §4.3.4.2 asks.
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

/** The audio rendition every variant plays with. */
export interface MasterPlaylistAudio {
  uri: string;
  bandwidth: number;
  averageBandwidth: number;
  /** RFC 6381: `mp4a.40.2`. */
  codecs: string;
  channels: number;
}

/** The GROUP-ID the variants name. */
const AUDIO_GROUP = 'audio';

export function formatMasterPlaylist(variants: readonly MasterPlaylistVariant[], audio?: MasterPlaylistAudio): string {
  if (variants.length === 0) throw new TypeError('a master playlist needs at least one variant');
  const lines = [
    '#EXTM3U',
    // 7: fMP4 segments (EXT-X-MAP without I-frame-only playlists needs 6; ffmpeg writes 7).
    '#EXT-X-VERSION:7',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  if (audio) {
    const media = [
      'TYPE=AUDIO',
      `GROUP-ID="${AUDIO_GROUP}"`,
      'NAME="default"',
      'DEFAULT=YES',
      'AUTOSELECT=YES',
      `CHANNELS="${wholePositive(audio.channels, 'channels')}"`,
      `URI="${plainUri(audio.uri)}"`,
    ];
    lines.push(`#EXT-X-MEDIA:${media.join(',')}`);
  }
  for (const variant of variants) {
    const codecs = [codecsList(variant.codecs), ...(audio ? [codecsList(audio.codecs)] : [])].join(',');
    const attributes = [
      `BANDWIDTH=${wholePositive(variant.bandwidth, 'bandwidth') + (audio ? wholePositive(audio.bandwidth, 'audio bandwidth') : 0)}`,
      `AVERAGE-BANDWIDTH=${wholePositive(variant.averageBandwidth, 'averageBandwidth') + (audio ? wholePositive(audio.averageBandwidth, 'audio averageBandwidth') : 0)}`,
      `RESOLUTION=${wholePositive(variant.width, 'width')}x${wholePositive(variant.height, 'height')}`,
      `FRAME-RATE=${positive(variant.frameRate, 'frameRate').toFixed(3)}`,
      `CODECS="${codecs}"`,
      ...(audio ? [`AUDIO="${AUDIO_GROUP}"`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, plainUri(variant.uri));
  }
  return `${lines.join('\n')}\n`;
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
