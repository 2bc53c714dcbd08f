/**
 * A WebVTT subtitle rendition for HLS: the track's .vtt as the one segment of a media playlist,
 * in outputDir/<name>/. A subtitle track is a few kilobytes: one segment is what players fetch
 * once anyway, and it needs no cutting at cue boundaries.
 *
 * The cues are on the MP4s' timeline (zero at the video's first frame). HLS renditions are
 * shifted by the timeline offset (package-hls.ts, hlsTimelineOffset), so the copy here says where
 * its zero lies on theirs: `X-TIMESTAMP-MAP=MPEGTS:<offset at 90 kHz>,LOCAL:00:00:00.000`
 * (RFC 8216 §3.5), and a cue stays on the frame it was timed to.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { outputPath } from '../ffmpeg/ffmpeg-args.ts';

/** The subtitle renditions' folder under the HLS output: rung names ([a-z0-9]+) never take it. */
export const HLS_SUBTITLES_NAME = 'subtitles';
const MEDIA_PLAYLIST_NAME = 'index.m3u8';
const SEGMENT_NAME = 'cues.vtt';
const MPEG_TS_CLOCK = 90_000;

export interface PackageHlsSubtitlesOptions {
  /** WebVTT on the MP4s' timeline (extract-subtitles.ts). */
  vttPath: string;
  outputDir: string;
  /** Its folder under outputDir: `subtitles/<label>`. */
  name: string;
  /** The video's length: the one segment's EXTINF. */
  durationSeconds: number;
  /** The same offset as every other rendition of the master. */
  timelineOffsetSeconds: number;
}

/** Writes the media playlist and its segment; returns the playlist's URI relative to outputDir. */
export async function packageHlsSubtitles(options: PackageHlsSubtitlesOptions): Promise<{ uri: string }> {
  const { vttPath, outputDir, name, durationSeconds, timelineOffsetSeconds } = options;
  if (!new RegExp(`^${HLS_SUBTITLES_NAME}/[a-z0-9]+(-[a-z0-9]+)*$`).test(name)) throw new TypeError(`not a subtitles folder: ${JSON.stringify(name)}`);
  if (!(durationSeconds > 0) || !(timelineOffsetSeconds >= 0)) throw new RangeError(`subtitles need a positive duration and an offset ≥ 0, not ${durationSeconds} and ${timelineOffsetSeconds}`);
  const dir = join(outputDir, name);
  await mkdir(dir, { recursive: true });
  const vtt = await readFile(vttPath, 'utf8');
  await writeFile(outputPath(join(dir, SEGMENT_NAME)), withTimestampMap(vtt, timelineOffsetSeconds));
  const playlist = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.ceil(durationSeconds)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${durationSeconds.toFixed(3)},`,
    SEGMENT_NAME,
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
  await writeFile(outputPath(join(dir, MEDIA_PLAYLIST_NAME)), playlist);
  return { uri: `${name}/${MEDIA_PLAYLIST_NAME}` };
}

/** The header line after `WEBVTT` that puts LOCAL zero at the renditions' shifted zero. */
export function withTimestampMap(vtt: string, offsetSeconds: number): string {
  const newline = vtt.indexOf('\n');
  const [first, rest] = newline === -1 ? [vtt, ''] : [vtt.slice(0, newline), vtt.slice(newline + 1)];
  if (!first.startsWith('WEBVTT')) throw new TypeError('not a WebVTT file');
  return `${first}\nX-TIMESTAMP-MAP=MPEGTS:${Math.round(offsetSeconds * MPEG_TS_CLOCK)},LOCAL:00:00:00.000\n${rest}`;
}
