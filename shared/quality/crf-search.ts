/**
 * The CRF search of target mode (Av1an's target-quality loop, for x264): given the probes so
 * far (a CRF and the fidelity it scored), say which CRF to probe next, or which CRF the chunk's
 * rung gets. Scores fall as CRF rises, but a probe is a sample of frames through a fast preset:
 * its score is noisy. The search therefore trusts only a passing CRF below every failing one, and
 * never hands out a CRF it has not probed, but the rung's fixed CRF when none can reach the target.
 *
 * The walk: the rung's fixed CRF first; then a step in the direction the score points; then,
 * once a passing and a failing probe bracket the target, linear interpolation between them.
 * At most `maxProbes` probes.
 *
 * The probe task searches every rung in lockstep (planSearchRound): each round is one ffmpeg
 * process encoding every still-searching rung's sample and one scoring them all, so a round costs
 * two process starts however many rungs it holds (about 75 ms of CPU each, measured with ffmpeg
 * 5.1). The first round probes two CRFs per rung: the fixed CRF and the top of the range. Where the
 * top passes (easy content, what a target is for: the bench's slides, a talking head's small rungs)
 * the rung is done in one round; where the fixed CRF passes and the top fails, the target is
 * bracketed at once. (A step above the fixed CRF instead took three rounds on each of those
 * rungs.) A chunk that fails at both is hard: the search walks down from the fixed CRF as before,
 * to the floor if need be; out of reach, the rung gets what outOfReach picks. Three rounds at most.
 */
import type { CrfProbe } from '../contracts/quality.ts';

/** x264: below 16 is visually lossless for most content; above 40, no rung is worth watching. */
export const CRF_SEARCH = { minCrf: 16, maxCrf: 40, step: 4, maxProbes: 4 } as const;

export interface CrfSearchInput {
  probes: readonly CrfProbe[];
  /** The fidelity to reach (score ≥ target passes). */
  target: number;
  /** The rung's fixed CRF: the first probe, and the answer when the target is out of reach and no lower CRF probed better under the cap. */
  startCrf: number;
  /** The rung's VBV cap: a probe above it (`kbps`) is a CRF whose chunk the cap would throttle. */
  maxrateKbps?: number;
  minCrf?: number;
  maxCrf?: number;
  /** How far the second probe moves from the first. */
  step?: number;
  maxProbes?: number;
}

export type CrfSearchStep =
  | { kind: 'probe'; crf: number }
  /** `reached: false`: the target is out of reach; `crf` is the best the probes saw under the cap (outOfReach). */
  | { kind: 'done'; crf: number; reached: boolean };

export function searchCrf(input: CrfSearchInput): CrfSearchStep {
  const { probes, target, minCrf = CRF_SEARCH.minCrf, maxCrf = CRF_SEARCH.maxCrf, step = CRF_SEARCH.step, maxProbes = CRF_SEARCH.maxProbes } = input;
  if (!(minCrf <= maxCrf) || maxProbes < 1 || step < 1) throw new RangeError(`a CRF search needs minCrf ≤ maxCrf, a step and a probe (${minCrf}..${maxCrf}, step ${step}, ${maxProbes} probes)`);
  const clamp = (crf: number) => Math.min(maxCrf, Math.max(minCrf, Math.round(crf)));
  if (probes.length === 0) return { kind: 'probe', crf: clamp(input.startCrf) };

  const failing = probes.filter((probe) => probe.score < target);
  const lowestFail = failing.length > 0 ? Math.min(...failing.map((probe) => probe.crf)) : undefined;
  // A pass above a failing CRF is noise we will not bet a chunk's quality on.
  const passing = probes.filter((probe) => probe.score >= target && (lowestFail === undefined || probe.crf < lowestFail));
  const bestPass = passing.length > 0 ? passing.reduce((best, probe) => (probe.crf > best.crf ? probe : best)) : undefined;
  const lastProbe = probes.length + 1 >= maxProbes;
  const probed = (crf: number) => probes.some((probe) => probe.crf === crf);
  const unreachable = (): CrfSearchStep => ({ kind: 'done', crf: outOfReach(probes, clamp(input.startCrf), input.maxrateKbps), reached: false });

  if (bestPass && (bestPass.crf >= maxCrf || (lowestFail !== undefined && lowestFail - bestPass.crf <= 1))) return { kind: 'done', crf: bestPass.crf, reached: true };
  if (!bestPass && lowestFail !== undefined && lowestFail <= minCrf) return unreachable();
  if (probes.length >= maxProbes) return bestPass ? { kind: 'done', crf: bestPass.crf, reached: true } : unreachable();

  if (bestPass && lowestFail !== undefined) {
    // Bracketed: interpolate between the two probes either side of the target.
    const fail = probes.find((probe) => probe.crf === lowestFail && probe.score < target)!;
    const estimate = interpolate(bestPass, fail, target) ?? (bestPass.crf + lowestFail) / 2;
    const crf = Math.min(lowestFail - 1, Math.max(bestPass.crf + 1, Math.round(estimate)));
    return probed(crf) ? { kind: 'done', crf: bestPass.crf, reached: true } : { kind: 'probe', crf };
  }
  if (bestPass) {
    // Every probe passes: go up (cheaper), by the slope of the two highest if it is sane.
    const [higher, lower] = [...passing].sort((a, b) => b.crf - a.crf);
    const estimate = lower ? interpolate(lower, higher!, target) : undefined;
    const crf = clamp(Math.min(bestPass.crf + 2 * step, Math.max(bestPass.crf + 1, estimate ?? bestPass.crf + step)));
    return probed(crf) ? { kind: 'done', crf: bestPass.crf, reached: true } : { kind: 'probe', crf };
  }
  // Every probe fails: go down (better). The last probe goes to the floor, so an unreachable
  // target is known from a probe (its score and its bitrate), not guessed from a line.
  const [lowest, next] = [...failing].sort((a, b) => a.crf - b.crf);
  const estimate = next ? interpolate(lowest!, next, target) : undefined;
  const crf = lastProbe ? minCrf : clamp(Math.max(lowestFail! - 2 * step, Math.min(lowestFail! - 1, estimate ?? lowestFail! - step)));
  return probed(crf) ? unreachable() : { kind: 'probe', crf };
}

/**
 * The CRF for a chunk whose target is out of reach: the best-scoring probe at or below the fixed
 * CRF whose bitrate stays under the rung's VBV cap (equal scores: the higher CRF, fewer bits), else
 * the fixed CRF itself, as the fixed ladder would encode it. Never the floor for its own sake: under a
 * cap it cannot afford, a low CRF spends the buffer early and starves what follows. Measured on the
 * bench's talking-head title at 720p: CRF 16 came out at 3.7 Mbps (the 3 Mbps cap binding) and
 * SSIM 0.9685, against 0.28 Mbps and 0.9778 at the fixed CRF 23. A probe is too short to drain the
 * buffer, so its score does not show this; its bitrate does.
 */
export function outOfReach(probes: readonly CrfProbe[], startCrf: number, maxrateKbps?: number): number {
  const affordable = probes.filter((probe) => probe.crf <= startCrf && (maxrateKbps === undefined || probe.kbps === undefined || probe.kbps <= maxrateKbps));
  if (affordable.length === 0) return startCrf;
  return affordable.reduce((best, probe) => (probe.score > best.score || (probe.score === best.score && probe.crf > best.crf) ? probe : best)).crf;
}

/** The CRF where the line through two probes meets the target; undefined where the line does not fall as CRF rises (noise). */
function interpolate(a: CrfProbe, b: CrfProbe, target: number): number | undefined {
  if (a.crf === b.crf) return undefined;
  const slope = (b.score - a.score) / (b.crf - a.crf);
  if (!(slope < 0)) return undefined;
  return a.crf + (target - a.score) / slope;
}

/** One rung of a lockstep search: its probes so far, its fixed CRF and its VBV cap. */
export interface RungSearchState {
  probes: readonly CrfProbe[];
  startCrf: number;
  maxrateKbps?: number;
}

export type RoundStep =
  | { kind: 'probe'; crfs: number[] }
  | { kind: 'done'; crf: number; reached: boolean };

/** Each rung's next move: the CRFs to probe this round (two in the first), or its result. */
export function planSearchRound({ rungs, ...bounds }: Omit<CrfSearchInput, 'probes' | 'startCrf'> & { rungs: readonly RungSearchState[] }): RoundStep[] {
  const { minCrf = CRF_SEARCH.minCrf, maxCrf = CRF_SEARCH.maxCrf, step = CRF_SEARCH.step, maxProbes = CRF_SEARCH.maxProbes } = bounds;
  return rungs.map(({ probes, startCrf, maxrateKbps }) => {
    const next = searchCrf({ ...bounds, probes, startCrf, ...(maxrateKbps === undefined ? {} : { maxrateKbps }) });
    if (next.kind === 'done' || probes.length > 0 || maxProbes < 2) return next.kind === 'done' ? next : { kind: 'probe', crfs: [next.crf] };
    // The first round: the top of the range too (from the top, a step down).
    const second = next.crf < maxCrf ? maxCrf : Math.max(minCrf, next.crf - step);
    return { kind: 'probe', crfs: second === next.crf ? [next.crf] : [next.crf, second] };
  });
}

/** One probe of a round: rung `rung` (an index into the search's rungs) at `crf`. */
export interface RoundProbe {
  rung: number;
  crf: number;
}

/**
 * Runs every rung's search in lockstep: `probeRound` scores one round's probes (in order) in one
 * go. Returns each rung's result, in the order given.
 */
export async function runCrfSearchRounds(
  input: Omit<CrfSearchInput, 'probes' | 'startCrf' | 'maxrateKbps'> & { startCrfs: readonly number[]; maxratesKbps?: readonly number[] },
  probeRound: (probes: RoundProbe[]) => Promise<Array<number | Omit<CrfProbe, 'crf'>>>,
): Promise<{ crf: number; reached: boolean; probes: CrfProbe[] }[]> {
  const { startCrfs, maxratesKbps, ...bounds } = input;
  const probes: CrfProbe[][] = startCrfs.map(() => []);
  for (;;) {
    const steps = planSearchRound({ ...bounds, rungs: startCrfs.map((startCrf, rung) => ({ startCrf, probes: probes[rung]!, ...(maxratesKbps?.[rung] === undefined ? {} : { maxrateKbps: maxratesKbps[rung] }) })) });
    const round = steps.flatMap((step, rung) => (step.kind === 'probe' ? step.crfs.map((crf) => ({ rung, crf })) : []));
    // Every rung done: nothing left to probe.
    if (round.length === 0) return steps.flatMap((step, rung) => (step.kind === 'done' ? [{ crf: step.crf, reached: step.reached, probes: probes[rung]! }] : []));
    const scores = await probeRound(round);
    if (scores.length !== round.length) throw new RangeError(`a round of ${round.length} probes came back with ${scores.length} scores`);
    round.forEach(({ rung, crf }, index) => {
      const scored = scores[index]!;
      probes[rung]!.push(typeof scored === 'number' ? { crf, score: scored } : { crf, ...scored });
    });
  }
}

/** Runs the whole search with `probe` scoring each CRF it asks for (the probe task's loop). */
export async function runCrfSearch(
  input: Omit<CrfSearchInput, 'probes'>,
  probe: (crf: number) => Promise<number>,
): Promise<{ crf: number; reached: boolean; probes: CrfProbe[] }> {
  const probes: CrfProbe[] = [];
  for (;;) {
    const next = searchCrf({ ...input, probes });
    if (next.kind === 'done') return { crf: next.crf, reached: next.reached, probes };
    probes.push({ crf: next.crf, score: await probe(next.crf) });
  }
}
