/**
 * Measured quality, and the quality target (issue 12). One vocabulary for the plan, the work
 * objects between encoder and assembler, and the manifest.
 *
 * Two measurements, for two questions:
 * - **as viewed**: the rung scaled back up (bicubic) to the source's displayed size, capped at
 *   1920×1080, against the source at that size. What a viewer on a big screen sees; what the
 *   manifest's `quality` reports and the ladder pruning compares.
 * - **fidelity**: the rung against the source scaled down to the rung's own size (the encoder's
 *   Lanczos). How well the encoder did its job at that size; what the CRF search targets.
 */
import { z } from 'zod';

/** VMAF where the ffmpeg in use has libvmaf (the deployed image), else SSIM; PSNR only as a fallback of last resort. */
export const QualityMetric = z.enum(['vmaf', 'ssim', 'psnr']);
export type QualityMetric = z.infer<typeof QualityMetric>;

/** `ssim:0.98` or `vmaf:93`: every chunk of every rung encoded at the CRF that reaches it (never above the rung's VBV cap). */
export const QualityTarget = z.object({
  metric: z.enum(['vmaf', 'ssim']),
  value: z.number().positive(),
  // VMAF from 1: a VMAF target under 1 is an SSIM figure under the wrong name (every rung meets it at CRF 40).
}).refine((target) => (target.metric === 'ssim' ? target.value > 0 && target.value < 1 : target.value >= 1 && target.value <= 100), {
  message: 'an SSIM target is between 0 and 1 (0.98), a VMAF target between 1 and 100 (93)',
});
export type QualityTarget = z.infer<typeof QualityTarget>;

/** Parses `ssim:0.98` / `vmaf:93` (the CLI flag, the env var, the stack setting). */
export function parseQualityTarget(text: string): QualityTarget {
  const match = /^(ssim|vmaf):([0-9]*\.?[0-9]+)$/.exec(text.trim().toLowerCase());
  if (!match) throw new RangeError(`a quality target is ssim:<0..1> or vmaf:<0..100>, not ${JSON.stringify(text)}`);
  // A vmaf target also needs an ffmpeg with libvmaf: the CLI and the splitter check the one they run (requireTargetMetric).
  return QualityTarget.parse({ metric: match[1], value: Number(match[2]) });
}

/** How the plan says every rung is measured: chosen by the splitter from what the ffmpeg it runs can do. */
export const QualityMeasurement = z.object({
  metric: QualityMetric,
  /** 1 measures every frame; n measures every n-th (documented: moves the mean by < 0.002 SSIM). */
  sampleEvery: z.number().int().positive(),
  /** The as-viewed reference size: the source as displayed, capped at 1920×1080, even. */
  referenceWidth: z.number().int().positive(),
  referenceHeight: z.number().int().positive(),
});
export type QualityMeasurement = z.infer<typeof QualityMeasurement>;

/** One rung of one chunk, measured. `mean` is over the measured frames; `frames` counts them. */
export const ChunkScore = z.object({
  mean: z.number(),
  /** The worst measured frame. */
  minFrame: z.number(),
  frames: z.number().int().positive(),
  /** Every n-th frame of the chunk was measured (absent: every frame). */
  sampleEvery: z.number().int().positive().optional(),
});
export type ChunkScore = z.infer<typeof ChunkScore>;

/**
 * The encoder's report of one chunk (work bucket, keys.chunkReport): per rung, the CRF it used,
 * what came out and how good it is, as viewed (and, in target mode, its fidelity).
 */
export const ChunkReport = z.object({
  index: z.number().int().nonnegative(),
  metric: QualityMetric,
  rungs: z.array(
    z.object({
      rung: z.string(),
      crf: z.number(),
      bytes: z.number().int().nonnegative(),
      frames: z.number().int().positive(),
      viewed: ChunkScore,
      /** Target mode: the rung against the source at the rung's size, the quantity the target is for. */
      fidelity: ChunkScore.optional(),
    }),
  ),
  /** CPU spent measuring, for the benchmark's ratio (ms of the measuring ffmpeg processes). */
  measureCpuMs: z.number().nonnegative(),
  encodeCpuMs: z.number().nonnegative(),
});
export type ChunkReport = z.infer<typeof ChunkReport>;

/** One probe of the CRF search: a fast encode of a sample of the chunk's frames at `crf`, scored for fidelity. */
export const CrfProbe = z.object({
  crf: z.number(),
  score: z.number(),
  /** The probe's bitrate at the chunk's frame rate: above the rung's VBV cap, the cap would throttle the chunk at this CRF. */
  kbps: z.number().nonnegative().optional(),
});
export type CrfProbe = z.infer<typeof CrfProbe>;

/** A chunk's CRF search (work bucket, keys.crfSearch): per rung, the probes and the CRF they point to, before smoothing. */
export const CrfSearchReport = z.object({
  index: z.number().int().nonnegative(),
  target: QualityTarget,
  rungs: z.array(z.object({ rung: z.string(), crf: z.number(), probes: z.array(CrfProbe), reached: z.boolean() })),
  searchCpuMs: z.number().nonnegative(),
});
export type CrfSearchReport = z.infer<typeof CrfSearchReport>;

/** A rung's quality in the manifest: as viewed, over the whole file; `min` is its worst chunk. */
export const RungQuality = z.object({
  metric: QualityMetric,
  /** Frame-weighted mean over every measured frame. */
  mean: z.number(),
  /** The worst chunk's mean. */
  min: z.number(),
  worstChunk: z.number().int().nonnegative(),
  /** The worst single measured frame. */
  minFrame: z.number(),
  frames: z.number().int().positive(),
  sampleEvery: z.number().int().positive(),
  /** As viewed: the rung scaled (bicubic) to this size, against the source at this size. */
  reference: z.object({ width: z.number().int().positive(), height: z.number().int().positive(), scaler: z.literal('bicubic') }),
  /** Target mode: the worst chunk's fidelity (the rung against the source at the rung's size). */
  fidelityMin: z.number().optional(),
});
export type RungQuality = z.infer<typeof RungQuality>;

/** A rung the per-title ladder left out, and why. */
export const DroppedRung = z.object({
  rung: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** The video's alone (its HLS variant's average): what the pruning compared. */
  bitrateKbps: z.number().nonnegative(),
  quality: z.number(),
  reason: z.string(),
});
export type DroppedRung = z.infer<typeof DroppedRung>;

/** How the ladder was made: a fixed table, or per title to a target (rungs that add nothing dropped). */
export const LadderReport = z.object({
  mode: z.enum(['fixed', 'target']),
  target: QualityTarget.optional(),
  /** What measured the quality: the metric and the ffmpeg build (`ffmpeg 7.1 libvmaf`, `ffmpeg 5.1.6 ssim`). */
  measuredWith: z.string(),
  dropped: z.array(DroppedRung).default([]),
});
export type LadderReport = z.infer<typeof LadderReport>;
