/**
 * The frames a chunk's quality is measured against, written by the encode that already decoded
 * them (encode-chunk.ts) and read by the measurement (measure-quality.ts), so the source is
 * decoded once per chunk, not twice. Raw Y4M: writing one is a copy per frame, reading one is
 * no decode at all.
 *
 *   - `viewed`: the chunk's frames turned upright, bicubic to the reference size (the source as
 *     displayed, capped at 1920×1080), 4:2:0, square pixels; what the rungs are measured against
 *     as viewed.
 *   - `fidelity` (target mode): per rung, the rung's own encoder input (the split after the
 *     rung's scaler: one branch to x264, one to the Y4M), what the rung is measured against at
 *     its own size.
 *
 * Each holds every `sampleEvery`-th frame of the chunk (0, n, 2n, …) and no other: pairing is by
 * frame index, so no frame may be dropped or duplicated on the way (`-fps_mode passthrough`).
 */
import { integer } from './ffmpeg-args.ts';
import { MAX_DIMENSION } from './chunk-frames.ts';

export interface ViewedReference {
  path: string;
  width: number;
  height: number;
  /** The file holds frames 0, n, 2n, … of the chunk. */
  sampleEvery: number;
}

export interface FidelityReferences {
  /** By rung name. */
  paths: Readonly<Record<string, string>>;
  /** Each file holds frames 0, n, 2n, … of the chunk. */
  sampleEvery: number;
}

export interface QualityReferences {
  viewed?: ViewedReference | undefined;
  fidelity?: FidelityReferences | undefined;
}

/** Every path the references take, for the measurement to remove once read. */
export function referencePaths(references: QualityReferences): string[] {
  return [...(references.viewed ? [references.viewed.path] : []), ...Object.values(references.fidelity?.paths ?? {})];
}

/** Frames 0, n, 2n, … (`n` counts the frames reaching the filter); nothing for n = 1. */
export function sampleFilter(sampleEvery: number): string[] {
  return sampleEvery > 1 ? [`select='not(mod(n,${integer(sampleEvery, 2, 1000)}))'`] : [];
}

/** 4:2:0 with square pixels: what both sides of a measurement are compared as. */
export const SQUARE_420 = ['setsar=1', 'format=yuv420p'];

/** Bicubic to the as-viewed reference size, 4:2:0, square pixels: the same chain for the source and for every rung. */
export function viewedScaleFilter(width: number, height: number): string[] {
  return [`scale=w=${integer(width, 2, MAX_DIMENSION)}:h=${integer(height, 2, MAX_DIMENSION)}:flags=bicubic`, ...SQUARE_420];
}

/** Raw frames with their size in the header: every reference, the measurement's and the probes'. */
export const REFERENCE_MUXER = 'yuv4mpegpipe';

/**
 * A reference's output options: every frame that reaches it written, in order, none added (the
 * pairing is by index); the input's time base kept (a VFR time base cannot round two frames onto
 * one tick); no metadata. The muxer's default codec passes the decoded frame through.
 */
export function referenceOutputOptions(label: string): string[] {
  return ['-map', `[${label}]`, '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-map_metadata', '-1', '-map_chapters', '-1', '-f', REFERENCE_MUXER];
}

/** A reference read back: the Y4M demuxer only. */
export const REFERENCE_INPUT_OPTIONS = ['-f', REFERENCE_MUXER, '-format_whitelist', REFERENCE_MUXER];

