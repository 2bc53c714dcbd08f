/**
 * What probeMedia learns about an upload (the facts schema), and the limits it checks them
 * against. The splitter plans from these; nothing here runs a process.
 */
import { z } from 'zod';
import { Rotation } from '../rotation.ts';
import { AudioCodec, VideoCodec } from './codec-allowlist.ts';
import { MediaInputFormat } from './source-demuxer.ts';

const positiveInt = z.number().int().positive();

export const VideoFacts = z.object({
  codec: VideoCodec,
  /** The stored frame size (after the codec's cropping, before rotation and pixel aspect). */
  codedWidth: positiveInt,
  codedHeight: positiveInt,
  /** The displayed size: pixel aspect ratio applied to the width, then rotation; both even. */
  width: positiveInt,
  height: positiveInt,
  /** How far the stored picture is turned clockwise to display it. */
  rotation: Rotation,
  /** Pixel (sample) aspect ratio, [1, 1] when the container leaves it unset. */
  sampleAspectRatio: z.tuple([positiveInt, positiveInt]),
  /** Average frames per second (ffprobe's avg_frame_rate); VFR sources vary around it. */
  frameRate: z.number().positive(),
  /**
   * As the container states it (mov: the sample table), or counted packet by packet where it
   * states none (Matroska, a fragmented MP4). Absent when the caller asked for no count: the
   * splitter lists every frame anyway and counts them there.
   */
  frameCount: z.number().int().nonnegative().optional(),
  pixelFormat: z.string().min(1),
  /** Coded as fields (ffprobe's field_order tt, bb, tb or bt): it needs deinterlacing. */
  interlaced: z.boolean(),
});
export type VideoFacts = z.infer<typeof VideoFacts>;

export const AudioFacts = z.object({
  codec: AudioCodec,
  channels: positiveInt,
  sampleRate: positiveInt,
  /** The stream's own duration, or the container's when the stream states none (Matroska). */
  durationSeconds: z.number().positive(),
});
export type AudioFacts = z.infer<typeof AudioFacts>;

/**
 * An audio or subtitle stream as the file labels it, whatever its codec: the track planner
 * (functions/splitter/plan-tracks.ts) picks what it can use. Language and title are the
 * stream's own tags: untrusted text.
 */
export const StreamLabel = z.object({
  /** ffprobe's stream index: `-map 0:<index>` selects exactly this stream. */
  index: z.number().int().nonnegative(),
  codec: z.string(),
  language: z.string().optional(),
  title: z.string().optional(),
  /** The container's default disposition (Matroska sets it on most tracks). */
  default: z.boolean(),
});
export type StreamLabel = z.infer<typeof StreamLabel>;

export const MediaFacts = z.object({
  format: MediaInputFormat,
  durationSeconds: z.number().positive(),
  /** The container's first presentation time; frame and packet times are on the same clock. */
  startSeconds: z.number(),
  video: VideoFacts.optional(),
  audio: AudioFacts.optional(),
  /** Every audio stream, in file order (`audio` is the first). */
  audioStreams: z.array(StreamLabel).optional(),
  /** Every subtitle stream, in file order. */
  subtitleStreams: z.array(StreamLabel).optional(),
  /** Every stream in the file, used or not. */
  streamCount: positiveInt,
});
export type MediaFacts = z.infer<typeof MediaFacts>;

export interface MediaLimits {
  maxDurationSeconds: number;
  /**
   * The displayed size must fit maxWidth × maxHeight in either orientation: 3840 × 2160 admits a
   * 2160 × 3840 portrait video too.
   */
  maxWidth: number;
  maxHeight: number;
  maxStreams: number;
}

/** One packet of the video stream, as listVideoFrames reports it. */
export interface VideoFrame {
  /** Presentation time in seconds (see listVideoFrames for the precision). */
  pts: number;
  keyframe: boolean;
  /**
   * Flagged discard by the demuxer: decoded (it may be a reference) but never shown, e.g. the
   * lead-in before an edit list's start. Only listPackets reports these.
   */
  discard?: boolean;
  /** The packet's stated duration in seconds, where it states one. */
  durationSeconds?: number;
}
