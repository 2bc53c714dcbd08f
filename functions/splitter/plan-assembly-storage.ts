/**
 * Whether the assembler's /tmp can hold a job, decided before anything is cut or encoded. The
 * assembler works one rung at a time and at its peak holds two copies of a rung with its audio
 * (the chunks and the joined MP4, then the MP4 and its HLS package) plus the audio file.
 *
 * A rung's rate is bounded by its VBV cap, except that x264 starts every chunk with its buffer
 * 90% full (vbv-init), so each chunk may spend that much more: cap + 0.9 × bufsize / chunk
 * length, 1.45× the cap for 4 s chunks and a buffer twice the cap. Containers add a few percent.
 * A source whose ladder would not fit is refused with DURATION_EXCEEDED up front, rather than
 * failing with a full disk after every chunk was paid for.
 */
import type { Rung } from '../../shared/contracts/work-plan.ts';
import { InputRejectedError } from '../../shared/errors.ts';

/** x264's default vbv-init: the buffer fullness each chunk's encode starts from. */
const VBV_INITIAL_FULLNESS = 0.9;
/** MP4 and fMP4 boxes over the media itself (measured ~1–2% on the ladder; 5% to spare). */
const CONTAINER_OVERHEAD = 1.05;

export interface AssemblyStorageArgs {
  rungs: readonly Rung[];
  audioKbps: number;
  chunkSeconds: number;
  storageBytes: number;
}

/** The longest source, in seconds, whose assembly fits in storageBytes. */
export function longestAssemblableSeconds({ rungs, audioKbps, chunkSeconds, storageBytes }: AssemblyStorageArgs): number {
  const worstKbps = Math.max(0, ...rungs.map((rung) => worstCaseKbps(rung, chunkSeconds)));
  const peakKbps = 2 * (worstKbps + audioKbps) + audioKbps;
  const bytesPerSecond = (CONTAINER_OVERHEAD * peakKbps * 1000) / 8;
  return bytesPerSecond > 0 ? storageBytes / bytesPerSecond : Number.POSITIVE_INFINITY;
}

export function checkAssemblyFits(args: AssemblyStorageArgs & { durationSeconds: number }): void {
  const longest = longestAssemblableSeconds(args);
  if (args.durationSeconds > longest) {
    const top = args.rungs.reduce<Rung | undefined>((largest, rung) => (largest && worstCaseKbps(largest, args.chunkSeconds) >= worstCaseKbps(rung, args.chunkSeconds) ? largest : rung), undefined);
    throw new InputRejectedError(
      'DURATION_EXCEEDED',
      `${Math.round(args.durationSeconds)} s long; with a ${top?.name ?? 'audio-only'} ladder the assembler's ${Math.round(args.storageBytes / 1024 ** 2)} MiB of storage holds at most ${Math.floor(longest)} s`,
    );
  }
}

/** The most a rung can average over a chunk: its cap plus the buffer it starts with. */
function worstCaseKbps(rung: Rung, chunkSeconds: number): number {
  return rung.maxrateKbps + (VBV_INITIAL_FULLNESS * rung.bufsizeKbps) / chunkSeconds;
}
