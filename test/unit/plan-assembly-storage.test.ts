import { describe, expect, it } from 'vitest';
import { checkAssemblyFits, longestAssemblableSeconds } from '../../functions/splitter/plan-assembly-storage.ts';
import { planLadder } from '../../functions/splitter/plan-ladder.ts';
import { InputRejectedError } from '../../shared/errors.ts';

const TEN_GIB = 10 * 1024 ** 3;
const fullLadder = planLadder({ width: 1920, height: 1080 });

describe('the assembler storage a ladder needs', () => {
  it('is bounded by the largest rung, counted twice with its audio, plus the audio file', () => {
    // 1.25 × (2 × (6000 + 128) + 128) kb/s = 15,480 kb/s = 1,935,000 B/s.
    expect(longestAssemblableSeconds({ rungs: fullLadder, audioKbps: 128, storageBytes: TEN_GIB })).toBeCloseTo(TEN_GIB / 1_935_000, 6);
  });

  it('lets the default 10 GiB hold about 1.5 h of 1080p and 3 h of 720p', () => {
    expect(longestAssemblableSeconds({ rungs: fullLadder, audioKbps: 128, storageBytes: TEN_GIB }) / 3600).toBeCloseTo(1.54, 2);
    const hd = planLadder({ width: 1280, height: 720 });
    expect(longestAssemblableSeconds({ rungs: hd, audioKbps: 128, storageBytes: TEN_GIB }) / 3600).toBeCloseTo(2.99, 2);
  });

  it('accepts what fits and refuses what does not with DURATION_EXCEEDED, naming the bound', () => {
    expect(() => checkAssemblyFits({ rungs: fullLadder, audioKbps: 128, storageBytes: TEN_GIB, durationSeconds: 5_500 })).not.toThrow();
    const refuse = () => checkAssemblyFits({ rungs: fullLadder, audioKbps: 128, storageBytes: TEN_GIB, durationSeconds: 5_600 });
    expect(refuse).toThrow(InputRejectedError);
    expect(refuse).toThrow("DURATION_EXCEEDED: 5600 s long; with a 1080p ladder the assembler's 10240 MiB of storage holds at most 5549 s");
  });

  it('does not depend on the order of the rungs', () => {
    const reversed = [...fullLadder].reverse();
    expect(longestAssemblableSeconds({ rungs: reversed, audioKbps: 128, storageBytes: TEN_GIB })).toBe(longestAssemblableSeconds({ rungs: fullLadder, audioKbps: 128, storageBytes: TEN_GIB }));
  });
});
