/**
 * Whether the assembler's /tmp can hold a job, decided before anything is cut or encoded. The
 * assembler works one rung at a time and at its peak holds two copies of a rung with its audio
 * (the chunks and the joined MP4, then the MP4 and its HLS package) plus the audio file. A
 * rung's bytes are bounded by its VBV cap (maxrate); the headroom covers container overhead and
 * the buffer each chunk starts with. A source whose ladder would not fit is refused with
 * DURATION_EXCEEDED up front, rather than failing with a full disk after every chunk was paid for.
 */
import type { Rung } from '../../shared/contracts/job.ts';
import { InputRejectedError } from '../../shared/errors.ts';

const HEADROOM = 1.25;

/** The longest source, in seconds, whose assembly fits in storageBytes. */
export function longestAssemblableSeconds({ rungs, audioKbps, storageBytes }: { rungs: readonly Rung[]; audioKbps: number; storageBytes: number }): number {
  const largestKbps = largestRung(rungs)?.maxrateKbps ?? 0;
  const peakKbps = 2 * (largestKbps + audioKbps) + audioKbps;
  const bytesPerSecond = (HEADROOM * peakKbps * 1000) / 8;
  return bytesPerSecond > 0 ? storageBytes / bytesPerSecond : Number.POSITIVE_INFINITY;
}

export function checkAssemblyFits(args: { rungs: readonly Rung[]; audioKbps: number; storageBytes: number; durationSeconds: number }): void {
  const longest = longestAssemblableSeconds(args);
  if (args.durationSeconds > longest) {
    const top = largestRung(args.rungs)?.name ?? 'audio-only';
    throw new InputRejectedError(
      'DURATION_EXCEEDED',
      `${Math.round(args.durationSeconds)} s long; with a ${top} ladder the assembler's ${Math.round(args.storageBytes / 1024 ** 2)} MiB of storage holds at most ${Math.floor(longest)} s`,
    );
  }
}

function largestRung(rungs: readonly Rung[]): Rung | undefined {
  return rungs.reduce<Rung | undefined>((largest, rung) => (largest && largest.maxrateKbps >= rung.maxrateKbps ? largest : rung), undefined);
}
