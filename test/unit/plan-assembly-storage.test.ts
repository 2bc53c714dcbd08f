import { describe, expect, it } from 'vitest';
import { checkAssemblyFits, longestAssemblableSeconds } from '../../functions/splitter/plan-assembly-storage.ts';
import { planLadder } from '../../functions/splitter/plan-ladder.ts';
import { InputRejectedError } from '../../shared/errors.ts';

const TEN_GIB = 10 * 1024 ** 3;
const fullLadder = planLadder({ width: 1920, height: 1080 });
const defaults = { audioKbps: 128, chunkSeconds: 4, storageBytes: TEN_GIB };

describe('the assembler storage a ladder needs', () => {
  it('counts the largest rung twice with its audio, plus the audio file, at its worst-case rate', () => {
    // 1080p: 6000 kb/s cap + 0.9 × 12000 kb/s buffer over a 4 s chunk = 8700 kb/s;
    // 1.05 × (2 × (8700 + 128) + 128) kb/s = 18,673.2 kb/s = 2,334,150 B/s.
    expect(longestAssemblableSeconds({ rungs: fullLadder, ...defaults })).toBeCloseTo(TEN_GIB / 2_334_150, 6);
  });

  it('lets the default 10 GiB hold about 1.25 h of 1080p and 2.5 h of 720p', () => {
    expect(longestAssemblableSeconds({ rungs: fullLadder, ...defaults }) / 3600).toBeCloseTo(1.28, 2);
    expect(longestAssemblableSeconds({ rungs: planLadder({ width: 1280, height: 720 }), ...defaults }) / 3600).toBeCloseTo(2.5, 2);
  });

  it('allows longer sources with longer chunks: each chunk\'s starting buffer weighs less', () => {
    expect(longestAssemblableSeconds({ rungs: fullLadder, ...defaults, chunkSeconds: 8 })).toBeGreaterThan(longestAssemblableSeconds({ rungs: fullLadder, ...defaults }));
  });

  it('accepts what fits and refuses what does not with DURATION_EXCEEDED, naming the bound', () => {
    expect(() => checkAssemblyFits({ rungs: fullLadder, ...defaults, durationSeconds: 4_500 })).not.toThrow();
    const refuse = () => checkAssemblyFits({ rungs: fullLadder, ...defaults, durationSeconds: 4_700 });
    expect(refuse).toThrow(InputRejectedError);
    expect(refuse).toThrow("DURATION_EXCEEDED: 4700 s long; with a 1080p ladder the assembler's 10240 MiB of storage holds at most 4600 s");
  });

  it('does not depend on the order of the rungs', () => {
    const reversed = [...fullLadder].reverse();
    expect(longestAssemblableSeconds({ rungs: reversed, ...defaults })).toBe(longestAssemblableSeconds({ rungs: fullLadder, ...defaults }));
  });
});
