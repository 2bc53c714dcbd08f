/** The command line of `npm run bench`, parsed and checked. */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  quick: boolean;
  seconds: number;
  rounds: number;
  concurrency: number;
  images: number;
  outDir: string;
}

export const USAGE = `usage: npm run bench -- [--quick] [--seconds N] [--rounds N] [--concurrency N] [--images N] [--out DIR]
  --quick        a short source (10 s unless --seconds), 1 round, 4 images: a few minutes on 2 cores
  --seconds N    source length (default 60)
  --rounds N     A/B pairs (default 3; --quick 1)
  --concurrency  worker processes of the local host (default: cores)
  --images N     copies of the photo fixture for the image comparison (default 24; --quick 4; 0 skips it)
  --out DIR      where bench-report.md and bench-report.json go (default fanout-output/bench)`;

function positiveInteger(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new RangeError(`--${name} must be an integer ≥ ${min}, not ${JSON.stringify(text)}`);
  return value;
}

export function parseBenchOptions(argv: readonly string[], cores = availableParallelism()): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      concurrency: { type: 'string' },
      images: { type: 'string' },
      out: { type: 'string', default: 'fanout-output/bench' },
    },
    strict: true,
  });
  const quick = values.quick ?? false;
  return {
    quick,
    seconds: positiveInteger('seconds', values.seconds, quick ? 10 : 60),
    rounds: positiveInteger('rounds', values.rounds, quick ? 1 : 3),
    concurrency: positiveInteger('concurrency', values.concurrency, cores),
    images: positiveInteger('images', values.images, quick ? 4 : 24, 0),
    outDir: values.out ?? 'fanout-output/bench',
  };
}
