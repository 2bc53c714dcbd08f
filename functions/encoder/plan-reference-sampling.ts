/**
 * How many of a chunk's frames its quality references keep (pure). The references are raw Y4M
 * (quality-references.ts) in the encoder's /tmp, beside the segment and the rungs, and a Lambda
 * encoder has 4 GiB of it (infra/cdk/fanout-stack.ts): a 4 s 1080p60 chunk in target mode (the
 * as-viewed reference and four rungs' inputs) would take about 2 GiB, a 10 s one 5. Past the
 * budget, the chunk is measured on every n-th frame, with the smallest n that fits, and its
 * scores say so (ChunkScore.sampleEvery): a measurement that needs no disk it has not got.
 * The fidelity references (target mode's own check, never in the manifest's figure) give way
 * first, up to FIDELITY_SPREAD times as sparse as the as-viewed one: every 2nd frame moves an SSIM
 * mean by about 0.004 (measure-quality.ts), more than the issue allows the manifest's figure.
 */

/** Y4M: one `FRAME\n` header and the 4:2:0 planes per frame. */
export function referenceFrameBytes(width: number, height: number): number {
  return 6 + width * height * 1.5;
}

/** What the references may take; the rest of the 4 GiB holds the segment, the rungs and headroom. */
export const REFERENCE_BUDGET_BYTES = 1.5 * 2 ** 30;
/** How much sparser than the as-viewed reference the fidelity references may be made. */
export const FIDELITY_SPREAD = 4;

export interface ReferenceSamplingArgs {
  /** The chunk's frame count. */
  frames: number;
  /** The as-viewed reference: its size and the plan's own subsample (1: every frame). */
  viewed: { width: number; height: number; sampleEvery: number };
  /** Target mode: each rung's size (its encoder input is a reference too). */
  fidelity?: readonly { width: number; height: number }[] | undefined;
  budgetBytes?: number;
}

export interface ReferenceSampling {
  viewedSampleEvery: number;
  /** Present when `fidelity` was. */
  fidelitySampleEvery?: number;
}

export function planReferenceSampling(args: ReferenceSamplingArgs): ReferenceSampling {
  const { frames, viewed, fidelity, budgetBytes = REFERENCE_BUDGET_BYTES } = args;
  if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`a chunk has at least one frame, not ${frames}`);
  const viewedFrameBytes = referenceFrameBytes(viewed.width, viewed.height);
  const fidelityFrameBytes = (fidelity ?? []).reduce((sum, rung) => sum + referenceFrameBytes(rung.width, rung.height), 0);
  const bytes = (viewedN: number, fidelityN: number) => Math.ceil(frames / viewedN) * viewedFrameBytes + Math.ceil(frames / fidelityN) * fidelityFrameBytes;
  // The smallest n (as viewed) that fits with fidelity at n … FIDELITY_SPREAD·n; past n = frames every reference holds one frame.
  const fit = (n: number) => {
    const viewedN = Math.max(n, viewed.sampleEvery);
    for (let fidelityN = n; fidelityN <= Math.min(frames, FIDELITY_SPREAD * n); fidelityN++) if (bytes(viewedN, fidelityN) <= budgetBytes) return { viewedN, fidelityN };
    return undefined;
  };
  let n = 1;
  let found = fit(n);
  while (!found && n < frames) found = fit(++n);
  if (!found) throw new RangeError(`one frame of each quality reference takes ${bytes(frames, frames)} bytes, over the ${budgetBytes} allowed`);
  return { viewedSampleEvery: found.viewedN, ...(fidelity ? { fidelitySampleEvery: found.fidelityN } : {}) };
}
