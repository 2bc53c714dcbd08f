/**
 * The one demuxer each accepted container is read with, and the input options that pin an
 * upload to it: `-f` skips ffmpeg's format probing (a text file is never read as a playlist or
 * an ffconcat script), `-format_whitelist` refuses any nested demuxer, and the mov demuxer's
 * references to other files stay off. Names are those of `ffprobe -demuxers` (ffmpeg 5.1).
 */
import { z } from 'zod';
import { AudioInputFormat, VideoInputFormat } from '../sniff-media-type.ts';

/** A container the sniffer accepts as video or audio. */
export const MediaInputFormat = z.enum([...VideoInputFormat.options, ...AudioInputFormat.options]);
export type MediaInputFormat = z.infer<typeof MediaInputFormat>;

export interface Demuxer {
  /** The name given to `-f` and `-format_whitelist`. */
  name: string;
  /** The demuxer's full name, as ffprobe reports it in format_name. */
  formatName: string;
  /** Private options that keep it inside the file. */
  options: readonly string[];
  /** Whether the container states each stream's frame count; if not, packets are counted. */
  statesFrameCount: boolean;
  /**
   * Whether an index (an MP4 edit list) can make a packet's bytes play twice. Elsewhere packets
   * share a position honestly: an Ogg page's or a laced Matroska block's packets all carry its start.
   */
  indexCanRepeatBytes?: boolean;
  /** The ADTS demuxer times its packets only once the stream is probed; the others from the container alone. */
  timesPacketsOnlyWhenProbed?: boolean;
}

const MOV: Demuxer = {
  name: 'mov',
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  options: ['-enable_drefs', '0', '-use_absolute_path', '0'],
  statesFrameCount: true,
  indexCanRepeatBytes: true,
};
const MATROSKA: Demuxer = { name: 'matroska', formatName: 'matroska,webm', options: [], statesFrameCount: false };
/**
 * One demuxer for both packet sizes: it finds 188-, 192- and 204-byte packets itself. Timestamps
 * start wherever the broadcaster's or camcorder's clock stood (often hundreds of seconds in).
 */
const MPEGTS: Demuxer = { name: 'mpegts', formatName: 'mpegts', options: [], statesFrameCount: false };
const audioDemuxer = (name: string): Demuxer => ({ name, formatName: name, options: [], statesFrameCount: true });

export const DEMUXERS: Readonly<Record<MediaInputFormat, Demuxer>> = {
  mp4: MOV,
  mov: MOV,
  m4a: MOV,
  mkv: MATROSKA,
  webm: MATROSKA,
  mpegts: MPEGTS,
  m2ts: MPEGTS,
  mp3: audioDemuxer('mp3'),
  wav: audioDemuxer('wav'),
  flac: audioDemuxer('flac'),
  ogg: audioDemuxer('ogg'),
  aac: { ...audioDemuxer('aac'), timesPacketsOnlyWhenProbed: true },
};

export function sourceInputOptions(format: MediaInputFormat): string[] {
  const demuxer = DEMUXERS[format];
  if (demuxer === undefined) throw new TypeError(`no demuxer for format ${JSON.stringify(format)}`);
  return ['-f', demuxer.name, '-format_whitelist', demuxer.name, ...demuxer.options];
}
