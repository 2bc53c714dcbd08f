/**
 * An HLS master playlist (RFC 8216 §4.3.4.2) from measured variant facts. ffmpeg's own
 * `-master_pl_name` (5.1) writes BANDWIDTH from the stream's nominal bit rate plus 10% and
 * RESOLUTION, but no AVERAGE-BANDWIDTH, FRAME-RATE or, for fMP4, CODECS; so the playlist is
 * written here, from the segments as they came out.
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
  /** RFC 6381, comma-separated. */
  codecs: string;
}

export function formatMasterPlaylist(variants: readonly MasterPlaylistVariant[]): string {
  if (variants.length === 0) throw new TypeError('a master playlist needs at least one variant');
  const lines = [
    '#EXTM3U',
    // 7: fMP4 segments (EXT-X-MAP without I-frame-only playlists needs 6; ffmpeg writes 7).
    '#EXT-X-VERSION:7',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  for (const variant of variants) {
    if (/[",\s]/.test(variant.uri) || variant.uri === '' || variant.uri.startsWith('#')) throw new TypeError(`not a plain relative URI: ${JSON.stringify(variant.uri)}`);
    if (!/^[A-Za-z0-9.]+(,[A-Za-z0-9.]+)*$/.test(variant.codecs)) throw new TypeError(`not an RFC 6381 codecs list: ${JSON.stringify(variant.codecs)}`);
    const attributes = [
      `BANDWIDTH=${wholePositive(variant.bandwidth, 'bandwidth')}`,
      `AVERAGE-BANDWIDTH=${wholePositive(variant.averageBandwidth, 'averageBandwidth')}`,
      `RESOLUTION=${wholePositive(variant.width, 'width')}x${wholePositive(variant.height, 'height')}`,
      `FRAME-RATE=${positive(variant.frameRate, 'frameRate').toFixed(3)}`,
      `CODECS="${variant.codecs}"`,
    ];
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, variant.uri);
  }
  return `${lines.join('\n')}\n`;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be positive, not ${value}`);
  return value;
}

function wholePositive(value: number, name: string): number {
  return Math.max(1, Math.round(positive(value, name)));
}
