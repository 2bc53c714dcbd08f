/**
 * The encoder's report of one chunk (keys.chunkReport): per rung the CRF it was encoded at, what
 * came out, and how good it is as viewed (and, with a quality target, its fidelity: the rung
 * against the source at the rung's size, the quantity the target is for). The assembler turns
 * the reports into each rendition's quality and CRFs.
 *
 * The encode writes the references (chunkQualityReferences, before it runs); one measuring
 * process then reads them and each rung once. measureCpuMs counts that process; the references'
 * turning and scaling happen in the encode and count in encodeCpuMs.
 */
import { join } from 'node:path';
import type { ChunkReport } from '../../shared/contracts/quality.ts';
import type { Chunk, MediaPlan, Rung } from '../../shared/contracts/work-plan.ts';
import { InternalError } from '../../shared/errors.ts';
import type { EncodedChunk } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { measureQuality } from '../../shared/media/ffmpeg/measure-quality.ts';
import type { QualityReferences } from '../../shared/media/ffmpeg/quality-references.ts';
import { planReferenceSampling } from './plan-reference-sampling.ts';

/** What the chunk's encode writes for its measurement: the as-viewed reference and, in target mode, each rung's input. */
export function chunkQualityReferences(args: { plan: MediaPlan; chunk: Chunk; rungs: readonly Rung[]; workDir: string; budgetBytes?: number }): QualityReferences | undefined {
  const { plan, chunk, rungs, workDir, budgetBytes } = args;
  const quality = plan.quality;
  if (!quality) return undefined;
  const viewed = { width: quality.referenceWidth, height: quality.referenceHeight };
  const sampling = planReferenceSampling({ frames: chunk.frames, viewed: { ...viewed, sampleEvery: quality.sampleEvery }, fidelity: plan.qualityTarget ? rungs : undefined, budgetBytes });
  return {
    viewed: { ...viewed, path: join(workDir, 'reference-viewed.y4m'), sampleEvery: sampling.viewedSampleEvery },
    ...(sampling.fidelitySampleEvery !== undefined
      ? { fidelity: { paths: Object.fromEntries(rungs.map((rung, index) => [rung.name, join(workDir, `reference-fidelity-${index}.y4m`)])), sampleEvery: sampling.fidelitySampleEvery } }
      : {}),
  };
}

export interface ReportChunkQualityArgs {
  plan: MediaPlan;
  chunk: Chunk;
  /** The rungs as encoded: their `crf` is the one used for this chunk. */
  rungs: readonly Rung[];
  encoded: EncodedChunk;
  /** How long the encode took, counted only where ffmpeg reported no CPU. */
  encodeWallMs: number;
  /** What the encode wrote (chunkQualityReferences); removed once measured. */
  references: QualityReferences;
  /** Each rung's encoded chunk, by rung name. */
  outputs: Readonly<Record<string, string>>;
  workDir: string;
  threads: number;
}

export async function reportChunkQuality(args: ReportChunkQualityArgs): Promise<ChunkReport> {
  const { plan, chunk, rungs, encoded, encodeWallMs, references, outputs, workDir, threads } = args;
  const quality = plan.quality;
  if (!quality) throw new InternalError('INTERNAL', `the plan of ${plan.jobId} says nothing of how to measure quality`);
  if (!references.viewed) throw new InternalError('INTERNAL', `chunk ${chunk.index}: no as-viewed reference was written`);
  const started = performance.now();
  const measured = await measureQuality({
    rungs: rungs.map((rung) => ({ name: rung.name, path: outputs[rung.name]! })),
    viewed: { reference: references.viewed, metric: quality.metric },
    // Fidelity is what a target is judged on, in the target's own metric.
    fidelity: plan.qualityTarget && references.fidelity ? { references: references.fidelity, metric: plan.qualityTarget.metric } : undefined,
    expectedFrames: chunk.frames,
    workDir,
    threads,
  });
  // Its wall time where ffmpeg printed no benchmark line (it always does, since 2.x).
  const measureCpuMs = measured.cpuMs ?? Math.round(performance.now() - started);

  return {
    index: chunk.index,
    metric: quality.metric,
    rungs: rungs.map((rung) => {
      const out = encoded.rungs.find((encodedRung) => encodedRung.rung === rung.name);
      if (!out) throw new InternalError('ENCODER_FAILED', `chunk ${chunk.index}: rung ${rung.name} was not encoded`);
      const fidelity = measured.fidelity?.[rung.name];
      return {
        rung: rung.name,
        crf: rung.crf,
        bytes: out.bytes,
        frames: out.frames,
        viewed: measured.viewed![rung.name]!,
        ...(fidelity ? { fidelity } : {}),
      };
    }),
    measureCpuMs,
    encodeCpuMs: encoded.cpuMs ?? encodeWallMs,
  };
}
