/** The command line of `npm run bench`, parsed and checked. */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseQualityTarget, type QualityTarget } from '../shared/contracts/quality.ts';
import { corpusTitle, QUALITY_CORPUS, type CorpusTitle } from './quality-corpus.ts';

export interface BenchOptions {
  quick: boolean;
  /** One A/B comparison per source length. */
  seconds: number[];
  rounds: number;
  concurrency: number;
  images: number;
  outDir: string;
  /** The quality comparison's titles (none: skipped), their length and height (16:9), and the target. */
  titles: CorpusTitle[];
  corpusSeconds: number;
  corpusHeight: number;
  qualityTarget: QualityTarget;
}

export const USAGE = `usage: npm run bench -- [--quick] [--seconds N[,N…]] [--rounds N] [--concurrency N] [--images N] [--titles LIST] [--corpus-seconds N] [--corpus-height N] [--quality-target T] [--out DIR]
  --quick        a short source (10 s unless --seconds), 1 round, 4 images, a 6 s 540p corpus: a few minutes on 2 cores
  --seconds N,M  source lengths, each compared on its own (default 20,60: the fixed costs at both ends show)
  --rounds N     A/B pairs (default 3; --quick 1)
  --concurrency  worker processes of the local host (default: cores)
  --images N     copies of the photo fixture for the image comparison (default 24; --quick 4; 0 skips it)
  --titles LIST  corpus titles for the quality comparison, comma-separated (default all: ${QUALITY_CORPUS.map((title) => title.name).join(',')}; none skips it)
  --corpus-seconds N  each title's length (default 16; --quick 6)
  --corpus-height N   each title's height, 16:9 (default 720; --quick 540)
  --quality-target T  the target mode's QUALITY_TARGET (default ssim:0.98)
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
      titles: { type: 'string' },
      'corpus-seconds': { type: 'string' },
      'corpus-height': { type: 'string' },
      'quality-target': { type: 'string', default: 'ssim:0.98' },
      out: { type: 'string', default: 'fanout-output/bench' },
    },
    strict: true,
  });
  const quick = values.quick ?? false;
  return {
    quick,
    seconds: values.seconds === undefined ? (quick ? [10] : [20, 60]) : values.seconds.split(',').map((text) => positiveInteger('seconds', text, 0)),
    rounds: positiveInteger('rounds', values.rounds, quick ? 1 : 3),
    concurrency: positiveInteger('concurrency', values.concurrency, cores),
    images: positiveInteger('images', values.images, quick ? 4 : 24, 0),
    outDir: values.out ?? 'fanout-output/bench',
    titles: values.titles === undefined ? [...QUALITY_CORPUS] : values.titles === 'none' ? [] : values.titles.split(',').map((name) => corpusTitle(name.trim())),
    corpusSeconds: positiveInteger('corpus-seconds', values['corpus-seconds'], quick ? 6 : 16),
    corpusHeight: evenHeight(positiveInteger('corpus-height', values['corpus-height'], quick ? 540 : 720, 36)),
    qualityTarget: parseQualityTarget(values['quality-target'] ?? 'ssim:0.98'),
  };
}

function evenHeight(height: number): number {
  if (height % 2 !== 0) throw new RangeError(`--corpus-height must be even, not ${height}`);
  return height;
}
