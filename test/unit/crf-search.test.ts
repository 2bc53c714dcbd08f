import { describe, expect, it } from 'vitest';
import { planSearchRound, runCrfSearch, runCrfSearchRounds, searchCrf, type RoundProbe } from '../../shared/quality/crf-search.ts';

/** A rung whose fidelity falls linearly with CRF: `at16` at CRF 16, `slope` per CRF step. */
function linear(at16: number, slope: number) {
  return async (crf: number) => at16 - slope * (crf - 16);
}

describe('searchCrf', () => {
  it.each([
    ['starts at the rung’s fixed CRF', [], { kind: 'probe', crf: 23 }],
    ['steps up (cheaper) when the first probe passes', [{ crf: 23, score: 0.99 }], { kind: 'probe', crf: 27 }],
    ['steps down (better) when the first probe fails', [{ crf: 23, score: 0.95 }], { kind: 'probe', crf: 19 }],
    ['interpolates once the target is bracketed', [{ crf: 23, score: 0.99 }, { crf: 27, score: 0.97 }], { kind: 'probe', crf: 25 }],
    ['probes between a pass and a fail two CRFs apart', [{ crf: 23, score: 0.99 }, { crf: 25, score: 0.97 }], { kind: 'probe', crf: 24 }],
    ['stops when pass and fail are one CRF apart', [{ crf: 23, score: 0.99 }, { crf: 24, score: 0.97 }], { kind: 'done', crf: 23, reached: true }],
    ['takes the highest CRF when even it passes (trivially reached)', [{ crf: 23, score: 0.999 }, { crf: 31, score: 0.995 }, { crf: 40, score: 0.99 }], { kind: 'done', crf: 40, reached: true }],
    ['gives the best probed CRF, not reached, when even the floor fails', [{ crf: 23, score: 0.9 }, { crf: 19, score: 0.92 }, { crf: 16, score: 0.93 }], { kind: 'done', crf: 16, reached: false }],
    ['sends the last probe to the floor when every probe failed', [{ crf: 23, score: 0.97 }, { crf: 19, score: 0.975 }, { crf: 17, score: 0.9795 }], { kind: 'probe', crf: 16 }],
    // Hard content (the bench's grain-motion, 360p): the line from the fixed CRF to the top meets 0.98 at CRF 1.
    // The floor is probed all the same: its bitrate says whether the cap could afford it.
    ['steps down from hard content rather than handing out an unprobed floor', [{ crf: 25, score: 0.8926 }, { crf: 40, score: 0.8379 }], { kind: 'probe', crf: 17 }, 25],
    // The bench's talking-head title at 720p (3 Mbps cap): the floor scored a little better in its short probe, at 3.6 Mbps.
    ['never picks a CRF whose probe is over the VBV cap: the best affordable one', [{ crf: 23, score: 0.9765, kbps: 900 }, { crf: 40, score: 0.95, kbps: 120 }, { crf: 20, score: 0.9772, kbps: 1700 }, { crf: 16, score: 0.9776, kbps: 3600 }], { kind: 'done', crf: 20, reached: false }],
    ['falls back to the fixed CRF when every lower probe is over the cap (the fixed ladder, capped)', [{ crf: 23, score: 0.75, kbps: 3500 }, { crf: 40, score: 0.6, kbps: 900 }, { crf: 19, score: 0.76, kbps: 3700 }, { crf: 16, score: 0.77, kbps: 3800 }], { kind: 'done', crf: 23, reached: false }],
    ['does not trade the fixed CRF for a worse one above it when the target is out of reach', [{ crf: 23, score: 0.97, kbps: 2000 }, { crf: 40, score: 0.9, kbps: 200 }, { crf: 19, score: 0.968, kbps: 2600 }, { crf: 16, score: 0.965, kbps: 2900 }], { kind: 'done', crf: 23, reached: false }],
    ['walks down when the lowest probes do not fall with CRF (a binding VBV cap)', [{ crf: 24, score: 0.8347 }, { crf: 40, score: 0.8398 }], { kind: 'probe', crf: 20 }],
    // Noise: a pass above a failing CRF is not trusted (it would put the chunk below the target).
    ['ignores a pass above a failing CRF (non-monotonic noise)', [{ crf: 23, score: 0.97 }, { crf: 19, score: 0.985 }, { crf: 21, score: 0.979 }, { crf: 25, score: 0.981 }], { kind: 'done', crf: 19, reached: true }],
    ['steps by the fixed step when passing scores rise with CRF (noise)', [{ crf: 23, score: 0.985 }, { crf: 27, score: 0.99 }], { kind: 'probe', crf: 31 }],
    ['extrapolates from two passes, at most two steps', [{ crf: 23, score: 0.999 }, { crf: 27, score: 0.998 }], { kind: 'probe', crf: 35 }],
    ['stops at the probe budget with the best pass', [{ crf: 23, score: 0.99 }, { crf: 27, score: 0.985 }, { crf: 31, score: 0.975 }, { crf: 29, score: 0.979 }], { kind: 'done', crf: 27, reached: true }],
    ['clamps a fixed CRF outside the bounds', [], { kind: 'probe', crf: 40 }, 45],
    // Review (mutation testing): cases where rounding lands the estimate on a probe already made.
    ['keeps an interpolation that rounds onto the failing probe inside the bracket', [{ crf: 23, score: 0.99 }, { crf: 25, score: 0.9799 }], { kind: 'probe', crf: 24 }],
    ['keeps a walk down that rounds onto the lowest failing probe below it', [{ crf: 23, score: 0.9799 }, { crf: 27, score: 0.97 }], { kind: 'probe', crf: 22 }],
    ['sends the last probe to the floor even when the line meets the target above it', [{ crf: 23, score: 0.95 }, { crf: 27, score: 0.94 }, { crf: 21, score: 0.96 }], { kind: 'probe', crf: 16 }],
  ] as const)('%s', (_, probes, expected, startCrf: number = 23) => {
    expect(searchCrf({ probes, target: 0.98, startCrf, maxrateKbps: 3000 })).toEqual(expected);
  });

  it.each([
    ['an easy chunk', linear(0.999, 0.0004), 40, true],
    ['a chunk with the target inside the range', linear(0.995, 0.001), 31, true],
    ['a hard chunk', linear(0.95, 0.002), 16, false],
  ] as const)('ends within the probe budget on %s at the highest passing CRF it saw', async (_, score, crf, reached) => {
    const result = await runCrfSearch({ target: 0.98, startCrf: 23 }, score);
    expect(result.probes.length).toBeLessThanOrEqual(4);
    expect(result).toMatchObject({ crf, reached });
    if (reached) expect(await score(result.crf)).toBeGreaterThanOrEqual(0.98);
  });
});

describe('planSearchRound (every rung in lockstep)', () => {
  it.each([
    ['probes the fixed CRF and the top of the range in the first round', { probes: [], startCrf: 23 }, { kind: 'probe', crfs: [23, 40] }],
    ['steps down instead from the top of the range', { probes: [], startCrf: 40 }, { kind: 'probe', crfs: [40, 36] }],
    ['is done in one round when the top passes', { probes: [{ crf: 24, score: 0.998 }, { crf: 40, score: 0.9823 }], startCrf: 24 }, { kind: 'done', crf: 40, reached: true }],
    // The talking-head title's 480p rung (bench corpus, 0.98): bracketed by the first round.
    ['interpolates within the first round’s bracket', { probes: [{ crf: 24, score: 0.9851 }, { crf: 40, score: 0.9779 }], startCrf: 24 }, { kind: 'probe', crfs: [35] }],
    ['interpolates when the first round bracketed the target', { probes: [{ crf: 23, score: 0.99 }, { crf: 27, score: 0.97 }], startCrf: 23 }, { kind: 'probe', crfs: [25] }],
    ['aims down by the slope when both first probes failed', { probes: [{ crf: 23, score: 0.975 }, { crf: 27, score: 0.965 }], startCrf: 23 }, { kind: 'probe', crfs: [21] }],
    ['extrapolates up when both passed', { probes: [{ crf: 23, score: 0.995 }, { crf: 27, score: 0.99 }], startCrf: 23 }, { kind: 'probe', crfs: [35] }],
    ['is done when a pass and a fail are one CRF apart', { probes: [{ crf: 23, score: 0.99 }, { crf: 27, score: 0.97 }, { crf: 24, score: 0.979 }], startCrf: 23 }, { kind: 'done', crf: 23, reached: true }],
  ] as const)('%s', (_, rung, expected) => {
    expect(planSearchRound({ target: 0.98, rungs: [rung] })).toEqual([expected]);
  });

  it('probes one CRF first when the budget is one probe', () => {
    expect(planSearchRound({ target: 0.98, maxProbes: 1, rungs: [{ probes: [], startCrf: 23 }] })).toEqual([{ kind: 'probe', crfs: [23] }]);
  });

  it('plans each rung on its own probes', () => {
    expect(planSearchRound({ target: 0.98, rungs: [{ probes: [{ crf: 24, score: 0.99 }, { crf: 28, score: 0.985 }, { crf: 36, score: 0.981 }, { crf: 40, score: 0.98 }], startCrf: 24 }, { probes: [], startCrf: 25 }] })).toEqual([
      { kind: 'done', crf: 40, reached: true },
      { kind: 'probe', crfs: [25, 40] },
    ]);
  });
});

describe('runCrfSearchRounds', () => {
  it('searches every rung in at most three rounds, to the highest passing CRF', async () => {
    const rungs = [linear(0.995, 0.001), linear(0.999, 0.0004), linear(0.95, 0.002)];
    const rounds: RoundProbe[][] = [];
    const results = await runCrfSearchRounds({ target: 0.98, startCrfs: [24, 25, 23] }, async (probes) => {
      rounds.push(probes);
      return Promise.all(probes.map(({ rung, crf }) => rungs[rung]!(crf)));
    });
    expect(rounds.length).toBeLessThanOrEqual(3);
    expect(rounds[0]).toEqual([{ rung: 0, crf: 24 }, { rung: 0, crf: 40 }, { rung: 1, crf: 25 }, { rung: 1, crf: 40 }, { rung: 2, crf: 23 }, { rung: 2, crf: 40 }]);
    // The easy rung is done after the first round.
    expect(rounds.slice(1).flat().some((probe) => probe.rung === 1)).toBe(false);
    expect(results.map(({ crf, reached }) => ({ crf, reached }))).toEqual([{ crf: 31, reached: true }, { crf: 40, reached: true }, { crf: 16, reached: false }]);
    for (const result of results) expect(result.probes.length).toBeLessThanOrEqual(4);
  });

  it('refuses a round that comes back short', async () => {
    await expect(runCrfSearchRounds({ target: 0.98, startCrfs: [24] }, async () => [0.99])).rejects.toThrow(RangeError);
  });
});
