/**
 * What every upload is turned into: the ladder, the image formats and widths, the GOP, segment
 * and chunk lengths, the x264 preset and the audio. The one place these are defined; the
 * splitter's planners, the config's defaults and the bench read them from here. The config may
 * override the timing, the preset, the image widths and the thumbnail count through the
 * environment (shared/config.ts).
 */
import { z } from 'zod';
import type { ImageFormat } from './contracts/manifest.ts';

/** One rung before it meets a source: named by its short side, CRF with a VBV cap. */
export interface RungProfile {
  shortSide: number;
  crf: number;
  maxrateKbps: number;
  bufsizeKbps: number;
}

/** x264's presets, fastest first. */
export const X264Preset = z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow']);
export type X264Preset = z.infer<typeof X264Preset>;
/** The presets a job may use: the two slowest would not encode a chunk well within a function's timeout. */
export const JobX264Preset = X264Preset.exclude(['slower', 'veryslow']);

export interface StillProfile {
  widths: readonly number[];
  formats: readonly ImageFormat[];
}

/**
 * A video's storyboard: a frame every `intervalSeconds` as a small tile, tiles laid out
 * `columns` wide and `rows` high in JPEG sprites, and a WebVTT file mapping times to tiles
 * (shared/storyboard/plan-storyboard.ts).
 */
export interface StoryboardProfile {
  /** A tile this often, or less often where more than `maxTiles` would be needed. */
  intervalSeconds: number;
  /** Bounds the sprites' bytes for a long source: the interval grows instead. */
  maxTiles: number;
  /** Tiles are this wide (narrower only for a source narrower than this, never upscaled)… */
  tileWidth: number;
  /** …and their height follows the displayed aspect ratio, at most this (a tall source gets narrower tiles). */
  maxTileHeight: number;
  columns: number;
  rows: number;
  /** sharp's JPEG quality for the sprites. */
  jpegQuality: number;
}

/**
 * Shot changes (shared/media/ffmpeg/detect-scene-cuts.ts, functions/splitter/plan-scene-cuts.ts):
 * the splitter finds them with ffmpeg's scdet filter on a downscaled decode, and the encoder
 * forces an IDR at each, on top of the GOP grid.
 */
export interface SceneCutProfile {
  /**
   * scdet's threshold. Its score (0–100) is the mean absolute difference from the previous frame
   * (every plane, in percent of full scale), or that difference's change from the frame before,
   * whichever is smaller: steady motion keeps a high difference but no change, a cut has both.
   * 10 is ffmpeg's default and inside its documented good range (8–14); on the generated test
   * sources a hard cut scores 29–34, fast motion with grain under 1.
   */
  threshold: number;
  /** Frames are scaled to this width before scoring: the score is a mean, and decoding dominates. */
  detectWidth: number;
  /**
   * A cut closer than this to an IDR already there (the GOP grid, or an earlier cut) is dropped:
   * its IDR would add a tiny GOP's cost for a fraction of a second of better prediction.
   */
  minGapSeconds: number;
}

export interface RenditionProfile {
  /** Largest first; a source gets the rungs at or below its short side (plan-ladder.ts). */
  ladder: readonly RungProfile[];
  /** An uploaded image: every width (capped at the source) in every format. */
  image: StillProfile;
  /** A video's poster, taken a little way in (plan-stills.ts). */
  poster: StillProfile;
  /** A video's thumbnails, spread evenly. */
  thumbnails: StillProfile & { count: number };
  /** Closed GOPs of this length; it divides segmentSeconds. */
  gopSeconds: number;
  /** HLS segment length; it divides chunkSeconds. */
  segmentSeconds: number;
  /** About how long an encoder's chunk is. */
  chunkSeconds: number;
  x264Preset: z.infer<typeof JobX264Preset>;
  /** Seek-bar previews: a sprite of tiles and its WebVTT map. */
  storyboard: StoryboardProfile;
  sceneCuts: SceneCutProfile;
  /** Encoded once for the whole file (AAC priming makes per-chunk audio click). */
  audio: { codec: 'aac'; bitrateKbps: number; channels: number; sampleRate: number };
}

export const RENDITION_PROFILE: RenditionProfile = {
  // H.264, four rungs; the VBV caps (buffer twice the cap) keep a busy scene from blowing the bitrate up.
  ladder: [
    { shortSide: 1080, crf: 23, maxrateKbps: 6000, bufsizeKbps: 12000 },
    { shortSide: 720, crf: 23, maxrateKbps: 3000, bufsizeKbps: 6000 },
    { shortSide: 480, crf: 24, maxrateKbps: 1200, bufsizeKbps: 2400 },
    { shortSide: 360, crf: 25, maxrateKbps: 700, bufsizeKbps: 1400 },
  ],
  image: { widths: [320, 640, 1280, 1920], formats: ['avif', 'webp', 'jpeg'] },
  poster: { widths: [640, 1280], formats: ['avif', 'webp', 'jpeg'] },
  thumbnails: { count: 5, widths: [320], formats: ['webp', 'jpeg'] },
  gopSeconds: 2,
  segmentSeconds: 4,
  chunkSeconds: 4,
  x264Preset: 'veryfast',
  // 160-px tiles every 5 s, 10 × 10 to a sprite (1600 px wide, about 60 KB at 16:9): 300 tiles
  // cover 25 min at 5 s; a longer source gets a longer interval, so it never has more than 3 sprites.
  storyboard: { intervalSeconds: 5, maxTiles: 300, tileWidth: 160, maxTileHeight: 320, columns: 10, rows: 10, jpegQuality: 70 },
  sceneCuts: { threshold: 10, detectWidth: 320, minGapSeconds: 0.5 },
  audio: { codec: 'aac', bitrateKbps: 128, channels: 2, sampleRate: 48000 },
};
