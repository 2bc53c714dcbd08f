/**
 * The codecs the pipeline decodes, by ffprobe's codec names. Enforced on ffprobe's report, not
 * with `-codec_whitelist`: ffprobe opens a decoder for every stream and fails the whole probe if
 * one is off that list, and the list holds decoder names, which differ between builds (mp3float,
 * libdav1d), so cover art or a subtitle track would turn a good file into a failed probe. The
 * containers allowed, and the one demuxer each is read with, are in source-demuxer.ts.
 */
import { z } from 'zod';

/** mpeg2video: broadcast transport streams, DVD and HDV camcorders. */
export const VideoCodec = z.enum(['h264', 'hevc', 'vp8', 'vp9', 'av1', 'mpeg4', 'prores', 'mpeg2video']);
export type VideoCodec = z.infer<typeof VideoCodec>;

/** PCM is linear PCM only (no A-law, µ-law, ADPCM). mp2: MPEG-1 Layer II, broadcast's audio. */
export const AudioCodec = z.enum([
  'aac', 'mp3', 'mp2', 'opus', 'vorbis', 'flac', 'alac', 'ac3', 'eac3',
  'pcm_u8', 'pcm_s16le', 'pcm_s16be', 'pcm_s24le', 'pcm_s24be', 'pcm_s32le', 'pcm_s32be',
  'pcm_f32le', 'pcm_f32be', 'pcm_f64le', 'pcm_f64be',
]);
export type AudioCodec = z.infer<typeof AudioCodec>;

/** Text subtitles only, turned into WebVTT; bitmap ones (dvd_subtitle, hdmv_pgs_subtitle, dvb_subtitle) are left out. */
export const SubtitleCodec = z.enum(['mov_text', 'subrip', 'ass', 'ssa', 'webvtt']);
