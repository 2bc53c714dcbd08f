/**
 * The encoder's report of one chunk (keys.chunkReport): per rung the CRF it was encoded at, what
 * came out, and how good it is as viewed (and, with a quality target, its fidelity: the rung
 * against the source at the rung's size, the quantity the target is for). The assembler turns
 * the reports into each rendition's quality and CRFs.
 */
import type { ChunkReport } from '../../shared/contracts/quality.ts';
import type { Chunk, MediaPlan, Rung } from '../../shared/contracts/work-plan.ts';
import { InternalError } from '../../shared/errors.ts';
import type { EncodedChunk } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { measureQuality, type MeasuredQuality, type QualityReference } from '../../shared/media/ffmpeg/measure-quality.ts';

export interface ReportChunkQualityArgs {
  plan: MediaPlan;
  chunk: Chunk;
  /** The rungs as encoded: their `crf` is the one used for this chunk. */
  rungs: readonly Rung[];
  encoded: EncodedChunk;
  /** How long the encode took, counted only where ffmpeg reported no CPU. */
  encodeWallMs: number;
  segmentPath: string;
  /** Each rung's encoded chunk, by rung name. */
  outputs: Readonly<Record<string, string>>;
  workDir: string;
  threads: number;
}

export async function reportChunkQuality(args: ReportChunkQualityArgs): Promise<ChunkReport> {
  const { plan, chunk, rungs, encoded, encodeWallMs, segmentPath, outputs, workDir, threads } = args;
  const quality = plan.quality;
  if (!quality) throw new InternalError('INTERNAL', `the plan of ${plan.jobId} says nothing of how to measure quality`);
  const measure = (metric: MeasureArgs['metric'], reference: QualityReference, sampleEvery: number) =>
    timedMeasure({
      segmentPath,
      startSeconds: chunk.startSeconds,
      endSeconds: chunk.endSeconds,
      deinterlace: plan.deinterlace,
      rotation: plan.rotation,
      rungs: rungs.map((rung) => ({ name: rung.name, width: rung.width, height: rung.height, path: outputs[rung.name]! })),
      metric,
      reference,
      sampleEvery,
      expectedFrames: chunk.frames,
      workDir,
      threads,
    });
  const viewed = await measure(quality.metric, { kind: 'viewed', width: quality.referenceWidth, height: quality.referenceHeight }, quality.sampleEvery);
  // Fidelity is what a target is judged on: every frame, in the target's own metric.
  const fidelity = plan.qualityTarget ? await measure(plan.qualityTarget.metric, { kind: 'fidelity' }, 1) : undefined;

  return {
    index: chunk.index,
    metric: quality.metric,
    rungs: rungs.map((rung) => {
      const out = encoded.rungs.find((encodedRung) => encodedRung.rung === rung.name);
      if (!out) throw new InternalError('ENCODER_FAILED', `chunk ${chunk.index}: rung ${rung.name} was not encoded`);
      return {
        rung: rung.name,
        crf: rung.crf,
        bytes: out.bytes,
        frames: out.frames,
        viewed: viewed.scores[rung.name]!,
        ...(fidelity ? { fidelity: fidelity.scores[rung.name]! } : {}),
      };
    }),
    measureCpuMs: viewed.cpuMs + (fidelity?.cpuMs ?? 0),
    encodeCpuMs: encoded.cpuMs ?? encodeWallMs,
  };
}

type MeasureArgs = Parameters<typeof measureQuality>[0];

/** A measurement and its CPU; its wall time where ffmpeg printed no benchmark line (it always does, since 2.x). */
async function timedMeasure(args: MeasureArgs): Promise<MeasuredQuality & { cpuMs: number }> {
  const started = performance.now();
  const measured = await measureQuality(args);
  return { ...measured, cpuMs: measured.cpuMs ?? Math.round(performance.now() - started) };
}
