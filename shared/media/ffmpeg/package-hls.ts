/**
 * HLS from the assembled MP4s, by stream copy: per variant a media playlist with its segments,
 * cut by ffmpeg's hls muxer at the IDR frames the encoder forced on the segment grid, and a
 * master playlist written from what came out (see format-master-playlist.ts).
 *
 * Segments are fMP4 (CMAF), not MPEG-TS: the same bytes can serve DASH later, HEVC/AV1 ladders
 * need it, and TS costs more: on the 640×360 test rung at ~300 kb/s, TS segments came to 13%
 * more bytes than the fMP4 ones (251 KB vs 222 KB, the MP4 itself 225 KB). Every player that
 * plays H.264 HLS today (Safari/iOS 10+, hls.js, ExoPlayer, Shaka) reads fMP4; old set-top
 * boxes that only read TS are not the users this pipeline is for.
 * Audio is muxed into each variant's segments (one request per segment, nothing to group).
 * Variants are packaged one by one (packageHlsVariant) so that a caller short of disk can upload
 * and delete each before the next; the master is written last, from their measured facts.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError } from '../../errors.ts';
import { decimal, outputPath } from './ffmpeg-args.ts';
import { formatMasterPlaylist, type MasterPlaylistVariant } from './format-master-playlist.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface HlsVariantInput {
  /** The variant's folder under outputDir: the rung name. */
  name: string;
  mp4Path: string;
  width: number;
  height: number;
  /** From the MP4's assembly (AssembledRung), so packaging needs no second probe. */
  frameRate: number;
  codecs: string;
}

export interface PackageHlsOptions {
  variants: readonly HlsVariantInput[];
  segmentSeconds: number;
  outputDir: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type PackagedVariant = MasterPlaylistVariant & { name: string; segments: number };

export interface PackagedHls {
  masterPath: string;
  variants: PackagedVariant[];
}

export const HLS_MASTER_NAME = 'master.m3u8';
const MEDIA_PLAYLIST_NAME = 'index.m3u8';
const INIT_NAME = 'init.mp4';

/** Every variant side by side, then the master playlist: for callers with disk for all of them. */
export async function packageHls(options: PackageHlsOptions): Promise<PackagedHls> {
  const { variants, ...rest } = options;
  if (variants.length === 0) throw new TypeError('packageHls needs at least one variant');
  const packaged = await Promise.all(variants.map((variant) => packageHlsVariant({ variant, ...rest })));
  return { masterPath: await writeHlsMaster(options.outputDir, packaged), variants: packaged };
}

/** One variant's media playlist and segments, in outputDir/<name>/, and the facts its master line needs. */
export async function packageHlsVariant(options: Omit<PackageHlsOptions, 'variants'> & { variant: HlsVariantInput }): Promise<PackagedVariant> {
  const { variant, segmentSeconds, outputDir, timeoutMs, signal } = options;
  if (!/^[a-z0-9]+$/.test(variant.name)) throw new TypeError(`variant name must be [a-z0-9]+, not ${JSON.stringify(variant.name)}`);
  const segmentTime = decimal(segmentSeconds, 0.1, 60);
  const dir = join(outputDir, variant.name);
  await mkdir(dir, { recursive: true });
  const playlistPath = join(dir, MEDIA_PLAYLIST_NAME);
  await runFfmpeg({
    task: `package HLS ${variant.name}`,
    inputs: [{ path: variant.mp4Path, options: ['-f', 'mov', '-format_whitelist', 'mov'] }],
    outputs: [
      {
        path: playlistPath,
        options: [
          '-map', '0',
          '-c', 'copy',
          '-f', 'hls',
          '-hls_time', segmentTime,
          '-hls_playlist_type', 'vod',
          '-hls_segment_type', 'fmp4',
          // Both relative to the playlist's folder, as they are written into it.
          '-hls_fmp4_init_filename', INIT_NAME,
          '-hls_segment_filename', `file:${outputPath(join(dir, 'seg-%05d.m4s'))}`,
          '-hls_flags', 'independent_segments',
        ],
      },
    ],
    timeoutMs,
    signal,
  });
  const segments = await measureSegments(dir, playlistPath);
  return {
    name: variant.name,
    uri: `${variant.name}/${MEDIA_PLAYLIST_NAME}`,
    bandwidth: segments.peakBitsPerSecond,
    averageBandwidth: segments.averageBitsPerSecond,
    width: variant.width,
    height: variant.height,
    frameRate: variant.frameRate,
    codecs: variant.codecs,
    segments: segments.count,
  };
}

/** The master playlist over variants packaged into outputDir; returns its path. */
export async function writeHlsMaster(outputDir: string, variants: readonly PackagedVariant[]): Promise<string> {
  const masterPath = outputPath(join(outputDir, HLS_MASTER_NAME));
  await writeFile(masterPath, formatMasterPlaylist(variants));
  return masterPath;
}

/** Peak and average bit rate over the media segments a playlist lists (EXTINF duration, file size). */
async function measureSegments(dir: string, playlistPath: string): Promise<{ count: number; peakBitsPerSecond: number; averageBitsPerSecond: number }> {
  const lines = (await readFile(playlistPath, 'utf8')).split('\n').map((line) => line.trim());
  const segments: Array<{ uri: string; seconds: number }> = [];
  lines.forEach((line, index) => {
    const extinf = /^#EXTINF:([0-9.]+),/.exec(line);
    const uri = lines[index + 1];
    if (extinf && uri && /^seg-\d+\.m4s$/.test(uri)) segments.push({ uri, seconds: Number(extinf[1]) });
  });
  if (segments.length === 0) throw new InternalError('ENCODER_FAILED', `${playlistPath} lists no segments`);
  let peak = 0;
  let totalBits = 0;
  let totalSeconds = 0;
  for (const segment of segments) {
    const bits = (await stat(join(dir, segment.uri))).size * 8;
    if (segment.seconds > 0) peak = Math.max(peak, bits / segment.seconds);
    totalBits += bits;
    totalSeconds += segment.seconds;
  }
  return { count: segments.length, peakBitsPerSecond: Math.round(peak), averageBitsPerSecond: Math.round(totalBits / totalSeconds) };
}
