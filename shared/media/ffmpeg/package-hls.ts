/**
 * HLS from the assembled MP4s, by stream copy: per variant a media playlist with its video
 * segments, cut by ffmpeg's hls muxer at the IDR frames the encoder forced on the segment grid;
 * the audio once, as its own rendition that every variant names; and a master playlist written
 * from what came out (see format-master-playlist.ts).
 *
 * Segments are fMP4 (CMAF), not MPEG-TS: the same bytes can serve DASH later, HEVC/AV1 ladders
 * need it, and TS costs more: on the 640×360 test rung at ~300 kb/s, TS segments came to 13%
 * more bytes than the fMP4 ones (251 KB vs 222 KB, the MP4 itself 225 KB). Every player that
 * plays H.264 HLS today (Safari/iOS 10+, hls.js, ExoPlayer, Shaka) reads fMP4; old set-top
 * boxes that only read TS are not the users this pipeline is for.
 * Audio in its own group rather than muxed into every variant: a 4-rung ladder stores (and a
 * CDN caches) its 128 kb/s once instead of four times, and switching rungs leaves it alone.
 * Renditions are packaged one by one (packageHlsVariant, packageHlsAudio) so that a caller short
 * of disk can upload and delete each before the next; the master is written last, from their
 * measured facts.
 *
 * One timeline for all of them: the MP4s start their video 2 frames (B-frame delay) and their AAC
 * 1024 samples (priming) before zero, by edit lists, which fMP4 segments do not carry. Packaged
 * apart, each would be shifted to start at zero on its own and the audio would run 45 ms early;
 * so every rendition is shifted by the same offset, the largest such lead (hlsTimelineOffset).
 *
 * The EXTINFs add up to the MP4's duration (its track's, as ffprobe reads it through the edit
 * list). ffmpeg's hls muxer times each segment but the last from one cut to the next, exactly;
 * the last it times by frame count at the nominal rate (a VFR source's last segment came out
 * 0.63 s short), and an audio rendition's count its priming and padding (6.037 s for 6 s). So
 * the audio's first EXTINF loses the priming (it lies before the timeline's zero) and the last
 * EXTINF of each becomes what the others leave of the track's duration (fitSegmentDurations).
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError } from '../../errors.ts';
import { decimal, outputPath, seconds } from './ffmpeg-args.ts';
import { formatMasterPlaylist, type MasterPlaylistAudio, type MasterPlaylistSubtitles, type MasterPlaylistVariant } from './format-master-playlist.ts';
import { probeOutput } from './probe-output.ts';
import { readMp4Info } from './read-mp4-info.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface HlsVariantInput {
  /** The variant's folder under outputDir: the rung name. */
  name: string;
  mp4Path: string;
  width: number;
  height: number;
  /** From the MP4's assembly (AssembledRung), so packaging needs no second probe. */
  frameRate: number;
  /** The video track's RFC 6381 codec (AssembledRung.videoCodecs): the variant's segments hold nothing else. */
  videoCodecs: string;
}

export interface HlsAudioInput {
  /** encodeAudio's .m4a. */
  path: string;
  channels: number;
  /** Its folder under outputDir when there are several (`audio/en`); default HLS_AUDIO_NAME. */
  name?: string;
}

interface SegmentingOptions {
  segmentSeconds: number;
  outputDir: string;
  /** The same for every rendition of one master: hlsTimelineOffset over all of them. */
  timelineOffsetSeconds: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface PackageHlsOptions extends Omit<SegmentingOptions, 'timelineOffsetSeconds'> {
  variants: readonly HlsVariantInput[];
  audio?: HlsAudioInput;
}

export type PackagedVariant = MasterPlaylistVariant & { name: string; segments: number };
export type PackagedAudio = MasterPlaylistAudio & { segments: number };

export interface PackagedHls {
  masterPath: string;
  variants: PackagedVariant[];
  audio?: PackagedAudio;
}

export const HLS_MASTER_NAME = 'master.m3u8';
/** The audio rendition's folder under outputDir; rung names ([a-z0-9]+, ending in p) never take it. */
export const HLS_AUDIO_NAME = 'audio';
const MEDIA_PLAYLIST_NAME = 'index.m3u8';
const INIT_NAME = 'init.mp4';

/** Every rendition side by side, then the master playlist: for callers with disk for all of them. */
export async function packageHls(options: PackageHlsOptions): Promise<PackagedHls> {
  const { variants, audio, ...segmenting } = options;
  if (variants.length === 0) throw new TypeError('packageHls needs at least one variant');
  const rest = { ...segmenting, timelineOffsetSeconds: await hlsTimelineOffset(variants.map((variant) => variant.mp4Path), audio?.path) };
  const [packagedAudio, videos] = await Promise.all([
    audio ? packageHlsAudio({ audio, ...rest }) : Promise.resolve(undefined),
    Promise.all(variants.map((variant) => packageHlsVariant({ variant, ...rest }))),
  ]);
  return { masterPath: await writeHlsMaster(options.outputDir, videos, packagedAudio), variants: videos, ...(packagedAudio && { audio: packagedAudio }) };
}

/** How far every rendition is shifted so that none starts before zero: the largest lead of these files' tracks. */
export async function hlsTimelineOffset(mp4Paths: readonly string[], audioPath?: string): Promise<number> {
  const infos = await Promise.all([...mp4Paths, ...(audioPath ? [audioPath] : [])].map((path) => readMp4Info(path)));
  return Math.max(0, ...infos.map((info) => Math.max(info.videoLeadSeconds, info.audioLeadSeconds)));
}

/** One variant's media playlist and video segments, in outputDir/<name>/, and the facts its master line needs. */
export async function packageHlsVariant(options: SegmentingOptions & { variant: HlsVariantInput }): Promise<PackagedVariant> {
  const { variant } = options;
  if (!/^[a-z0-9]+$/.test(variant.name) || variant.name === HLS_AUDIO_NAME) throw new TypeError(`variant name must be [a-z0-9]+ and not "${HLS_AUDIO_NAME}", not ${JSON.stringify(variant.name)}`);
  const [{ videoLeadSeconds }, facts] = await Promise.all([readMp4Info(variant.mp4Path), probeOutput(variant.mp4Path)]);
  checkLead(variant.name, videoLeadSeconds, options.timelineOffsetSeconds);
  if (!facts.video) throw new InternalError('ENCODER_FAILED', `package HLS ${variant.name}: ${variant.mp4Path} has no video track`);
  const segments = await segment({ ...options, name: variant.name, inputPath: variant.mp4Path, map: '0:v:0', independentSegments: true, durationSeconds: facts.video.durationSeconds, leadSeconds: 0 });
  return {
    name: variant.name,
    uri: `${variant.name}/${MEDIA_PLAYLIST_NAME}`,
    bandwidth: segments.peakBitsPerSecond,
    averageBandwidth: segments.averageBitsPerSecond,
    width: variant.width,
    height: variant.height,
    frameRate: variant.frameRate,
    codecs: variant.videoCodecs,
    segments: segments.count,
  };
}

/** The audio rendition: its media playlist and segments in outputDir/audio/. */
export async function packageHlsAudio(options: SegmentingOptions & { audio: HlsAudioInput }): Promise<PackagedAudio> {
  const { audio } = options;
  const name = audio.name ?? HLS_AUDIO_NAME;
  if (name !== HLS_AUDIO_NAME && !name.startsWith(`${HLS_AUDIO_NAME}/`)) throw new TypeError(`an audio rendition's folder is under "${HLS_AUDIO_NAME}/", not ${JSON.stringify(name)}`);
  const [{ audioCodecs, audioLeadSeconds }, facts] = await Promise.all([readMp4Info(audio.path), probeOutput(audio.path)]);
  if (audioCodecs === '' || !facts.audio) throw new InternalError('ENCODER_FAILED', `package HLS audio: ${audio.path} has no audio track`);
  const segments = await segment({ ...options, name, inputPath: audio.path, map: '0:a:0', independentSegments: false, durationSeconds: facts.audio.durationSeconds, leadSeconds: audioLeadSeconds });
  checkLead(name, audioLeadSeconds, options.timelineOffsetSeconds);
  return {
    uri: `${name}/${MEDIA_PLAYLIST_NAME}`,
    bandwidth: segments.peakBitsPerSecond,
    averageBandwidth: segments.averageBitsPerSecond,
    codecs: audioCodecs,
    channels: audio.channels,
    segments: segments.count,
  };
}

/** The master playlist over renditions packaged into outputDir; returns its path. */
export async function writeHlsMaster(outputDir: string, variants: readonly PackagedVariant[], audio?: MasterPlaylistAudio | readonly MasterPlaylistAudio[], subtitles?: readonly MasterPlaylistSubtitles[]): Promise<string> {
  const masterPath = outputPath(join(outputDir, HLS_MASTER_NAME));
  await writeFile(masterPath, formatMasterPlaylist(variants, audio, subtitles));
  return masterPath;
}

/** A lead past the offset would be shifted to zero by the muxer, off the others' timeline. */
function checkLead(name: string, leadSeconds: number, offsetSeconds: number): void {
  if (leadSeconds > offsetSeconds + 1e-6) {
    throw new InternalError('ENCODER_FAILED', `package HLS ${name}: it starts ${leadSeconds} s before zero, past the timeline offset of ${offsetSeconds} s`);
  }
}

/** One stream of an MP4 cut into fMP4 segments of about segmentSeconds, in outputDir/<name>/. */
async function segment(options: SegmentingOptions & { name: string; inputPath: string; map: '0:v:0' | '0:a:0'; independentSegments: boolean; durationSeconds: number; leadSeconds: number }) {
  const { name, inputPath, map, independentSegments, segmentSeconds, outputDir, timelineOffsetSeconds, timeoutMs, signal } = options;
  const dir = join(outputDir, name);
  await mkdir(dir, { recursive: true });
  const playlistPath = join(dir, MEDIA_PLAYLIST_NAME);
  await runFfmpeg({
    task: `package HLS ${name}`,
    inputs: [{ path: inputPath, options: ['-f', 'mov', '-format_whitelist', 'mov'] }],
    outputs: [
      {
        path: playlistPath,
        options: [
          '-map', map,
          '-c', 'copy',
          '-output_ts_offset', seconds(timelineOffsetSeconds),
          '-f', 'hls',
          '-hls_time', decimal(segmentSeconds, 0.1, 60),
          '-hls_playlist_type', 'vod',
          '-hls_segment_type', 'fmp4',
          // Both relative to the playlist's folder, as they are written into it.
          '-hls_fmp4_init_filename', INIT_NAME,
          '-hls_segment_filename', `file:${outputPath(join(dir, 'seg-%05d.m4s'))}`,
          // Video segments each start on an IDR; audio frames are all independent anyway.
          ...(independentSegments ? ['-hls_flags', 'independent_segments'] : []),
        ],
      },
    ],
    timeoutMs,
    signal,
  });
  await writeFile(playlistPath, fitSegmentDurations(await readFile(playlistPath, 'utf8'), options));
  return measureSegments(dir, playlistPath);
}

/**
 * A media playlist whose EXTINFs add up to `durationSeconds` (the track's): the first less
 * `leadSeconds` (audio priming, before the timeline's zero), the last what the others leave; its
 * target duration still covers every EXTINF rounded (RFC 8216 4.3.3.1).
 */
export function fitSegmentDurations(playlist: string, { durationSeconds, leadSeconds }: { durationSeconds: number; leadSeconds: number }): string {
  const lines = playlist.split('\n');
  const extinfs = lines.flatMap((line, index) => (/^#EXTINF:[0-9.]+,/.test(line) ? [index] : []));
  const firstIndex = extinfs[0];
  const lastIndex = extinfs.at(-1);
  if (firstIndex === undefined || lastIndex === undefined) return playlist;
  const durationOf = (index: number) => Number(/^#EXTINF:([0-9.]+),/.exec(lines[index]!)![1]);
  const setDuration = (index: number, seconds: number) => {
    lines[index] = lines[index]!.replace(/^#EXTINF:[0-9.]+,/, `#EXTINF:${seconds.toFixed(6)},`);
  };
  if (firstIndex !== lastIndex && leadSeconds > 0) setDuration(firstIndex, Math.max(0.001, durationOf(firstIndex) - leadSeconds));
  const earlier = extinfs.slice(0, -1).reduce((sum, index) => sum + durationOf(index), 0);
  // At least a millisecond: a track shorter than its earlier segments is not ours to hide.
  setDuration(lastIndex, Math.max(0.001, durationSeconds - earlier));
  const longest = Math.max(...extinfs.map(durationOf));
  return lines
    .map((line) => {
      const target = /^#EXT-X-TARGETDURATION:(\d+)$/.exec(line);
      return target ? `#EXT-X-TARGETDURATION:${Math.max(Number(target[1]), Math.round(longest))}` : line;
    })
    .join('\n');
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
