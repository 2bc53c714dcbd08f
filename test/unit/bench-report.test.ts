import { describe, expect, it } from 'vitest';
import { formatReport, summarize, type BenchRecord, type PipelineRound } from '../../bench/bench-report.ts';
import { median, modelCost, modelledCriticalPathMs, pairRatios, uncoveredMs } from '../../bench/bench-stats.ts';
import { parseBenchOptions } from '../../bench/bench-options.ts';

describe('median', () => {
  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('of nothing is NaN', () => {
    expect(median([])).toBeNaN();
  });
});

describe('pairRatios', () => {
  it('divides pair by pair', () => {
    expect(pairRatios([20, 30], [10, 20])).toEqual([2, 1.5]);
  });

  it('refuses unpaired rounds', () => {
    expect(() => pairRatios([1, 2], [1])).toThrow(RangeError);
  });
});

describe('uncoveredMs', () => {
  it('counts the window time no span covers, overlaps merged and spans clipped to the window', () => {
    const window = { startMs: 1000, endMs: 2000 };
    const spans = [
      { startMs: 900, endMs: 1100 }, // clipped to 1000–1100
      { startMs: 1200, endMs: 1500 },
      { startMs: 1400, endMs: 1600 }, // overlaps the one before
      { startMs: 1650, endMs: 1700 },
      { startMs: 2100, endMs: 2200 }, // outside
    ];
    // covered: 100 + 400 + 50 = 550
    expect(uncoveredMs(window, spans)).toBe(450);
  });

  it('is the whole window without spans', () => {
    expect(uncoveredMs({ startMs: 0, endMs: 75 }, [])).toBe(75);
  });
});

describe('modelledCriticalPathMs', () => {
  it('is split + the slowest of chunks and audio + assemble', () => {
    expect(modelledCriticalPathMs({ splitMs: 100, chunkMs: [300, 900, 400], audioMs: 500, assembleMs: 200 })).toBe(1200);
    expect(modelledCriticalPathMs({ splitMs: 100, chunkMs: [300], audioMs: 800, assembleMs: 200 })).toBe(1100);
  });
});

describe('the cost model', () => {
  it('bills GB-seconds at arm64 list price, requests, and state transitions, per minute of source', () => {
    const cost = modelCost({
      invocations: [
        { name: 'encoder', durationMs: 10_000 },
        { name: 'splitter', durationMs: 1999.2 }, // billed as 2000 ms
      ],
      memoryMiB: { encoder: 4096, splitter: 2048 },
      stateTransitions: 18,
      sourceSeconds: 30,
    });
    expect(cost.gbSeconds).toBeCloseTo(40 + 4, 9);
    expect(cost.lambdaUsd).toBeCloseTo(44 * 0.0000133334 + 2 * 0.2e-6, 12);
    expect(cost.stepFunctionsUsd).toBeCloseTo(18 * 0.000025, 12);
    expect(cost.usdPerSourceMinute).toBeCloseTo(2 * cost.totalUsd, 12);
  });

  it('refuses a function it has no memory size for', () => {
    expect(() => modelCost({ invocations: [{ name: 'mystery', durationMs: 1 }], memoryMiB: {}, stateTransitions: 0, sourceSeconds: 1 })).toThrow(/mystery/);
  });
});

describe('parseBenchOptions', () => {
  it('defaults to cores for concurrency and shortens everything with --quick', () => {
    expect(parseBenchOptions([], 8)).toMatchObject({ quick: false, seconds: [20, 60], rounds: 3, concurrency: 8, images: 24, corpusSeconds: 16, corpusHeight: 720, qualityTarget: { metric: 'ssim', value: 0.98 } });
    expect(parseBenchOptions([], 8).titles.map((title) => title.name)).toEqual(['slides', 'talking-head', 'grain-motion', 'animation']);
    expect(parseBenchOptions(['--quick'], 2)).toMatchObject({ quick: true, seconds: [10], rounds: 1, concurrency: 2, images: 4, corpusSeconds: 6, corpusHeight: 540 });
    expect(parseBenchOptions(['--quick', '--seconds', '4', '--rounds', '2', '--concurrency', '3', '--out', '/tmp/x'], 2)).toMatchObject({ seconds: [4], rounds: 2, concurrency: 3, outDir: '/tmp/x' });
  });

  it('takes several source lengths, a subset of the corpus or none, and a quality target', () => {
    expect(parseBenchOptions(['--seconds', '20,60'], 2).seconds).toEqual([20, 60]);
    expect(parseBenchOptions(['--titles', 'slides,animation'], 2).titles.map((title) => title.name)).toEqual(['slides', 'animation']);
    expect(parseBenchOptions(['--titles', 'none'], 2).titles).toEqual([]);
    expect(parseBenchOptions(['--quality-target', 'vmaf:93'], 2).qualityTarget).toEqual({ metric: 'vmaf', value: 93 });
  });

  it.each([[['--seconds', '0']], [['--seconds', '20,x']], [['--rounds', '1.5']], [['--bogus']], [['--titles', 'cats']], [['--quality-target', 'ssim:2']], [['--corpus-height', '361']]])('refuses %j', (argv) => {
    expect(() => parseBenchOptions(argv, 2)).toThrow();
  });
});

// Recorded from `--quick --seconds 4` on 2 cores (round 1), plus a second round made up around it.
const roundA: PipelineRound = {
  wallMs: 20337,
  cpuSeconds: 24.59,
  peakRssBytes: 1894289408,
  chunks: 1,
  orchestrationMs: 75,
  splitMs: 3962,
  chunkMs: [6590],
  audioMs: 1314,
  assembleMs: 5826,
  invocations: [
    { name: 'splitter', durationMs: 4638 },
    { name: 'image-resize', durationMs: 1239 },
    { name: 'encoder', durationMs: 2378 },
    { name: 'encoder', durationMs: 6612 },
    { name: 'assembler', durationMs: 6667 },
  ],
  stateTransitions: 18,
  rungBytes: { '1080p': 2525886, '720p': 785920 },
};
const recorded: BenchRecord = {
  meta: {
    startedAt: '2026-11-23T04:12:37.495Z',
    cores: 2,
    concurrency: 2,
    quick: true,
    versions: { node: '24.21.0', ffmpeg: '5.1.9', sharp: '0.35.5', libvips: '8.18.7' },
    memoryMiB: { splitter: 2048, encoder: 4096, 'image-resize': 2048, assembler: 3008 },
  },
  sources: [{
  sourceSeconds: 4,
  source: '1920×1080 30 fps H.264 + AAC',
  rounds: [
    { round: 1, order: 'AB', a: roundA, b: { wallMs: 7262, cpuSeconds: 11.43, peakRssBytes: 2055471104, rungBytes: { '1080p': 2525886, '720p': 785920 } } },
    {
      round: 2,
      order: 'BA',
      a: { ...roundA, wallMs: 16000, cpuSeconds: 20, orchestrationMs: 125, rungBytes: { '1080p': 2600000, '720p': 785920 } },
      b: { wallMs: 8000, cpuSeconds: 10, peakRssBytes: 2000000000, rungBytes: { '1080p': 2525886, '720p': 785920 } },
    },
  ],
  quality: [
    { rung: '1080p', width: 1920, height: 1080, psnrA: 43.0, psnrB: 43.22 },
    { rung: '720p', width: 1280, height: 720, psnrA: 41.8, psnrB: 42.26 },
  ],
  }],
  images: { images: 4, outputsPerImage: 12, pipelineImagesPerSecond: 0.78, sharpLoopImagesPerSecond: 1.3, pipelinePeakRssBytes: 1988767744, sharpLoopPeakRssBytes: 2263179264 },
};

describe('summarize', () => {
  const summaries = summarize(recorded);
  const summary = summaries.sources[0]!;

  it('takes medians and the median of the pair-by-pair ratios', () => {
    expect(summary.wallA).toBe((20337 + 16000) / 2);
    expect(summary.wallRatios).toEqual([20337 / 7262, 2]);
    expect(summary.wallRatio).toBeCloseTo((20337 / 7262 + 2) / 2, 12);
    expect(summary.cpuRatios).toEqual([24.59 / 11.43, 2]);
    expect(summary.orchestrationMsPerChunk).toBe(100);
    expect(summary.criticalPathMs).toBe(3962 + 6590 + 5826);
  });

  it('compares every rung on PSNR and median size', () => {
    expect(summary.rungs.map((rung) => [rung.rung, Number(rung.psnrDelta.toFixed(2)), rung.sizeRatio])).toEqual([
      ['1080p', -0.22, (2525886 + 2600000) / 2 / 2525886],
      ['720p', -0.46, 1],
    ]);
    expect(summaries.imageRatio).toBeCloseTo(0.6, 12);
    expect(summary.endsMs).toBe(3962 + 5826);
  });
});

describe('formatReport', () => {
  const report = formatReport(recorded);
  const tableRows = (text: string) => text.split('\n').filter((line) => line.startsWith('|'));

  it('prints the machine, the versions and a well-formed table, goals beside the figures', () => {
    expect(report).toContain('2 cores · worker concurrency 2 · --quick · source lengths 4 s');
    expect(report).toContain('## 4 s source: 1920×1080 30 fps H.264 + AAC · 2 round(s) · 1 chunks');
    expect(report).toContain('Node 24.21.0 · ffmpeg 5.1.9 · sharp 0.35.5 (libvips 8.18.7)');
    const rows = tableRows(report);
    const header = rows[0]!.split('|').length;
    expect(rows.slice(0, 10).every((row) => row.split('|').length === header)).toBe(true);
    expect(rows.find((row) => row.startsWith('| wall time'))).toBe(`| wall time, upload → manifest | 18.17 s | 7.63 s | ${((20337 / 7262 + 2) / 2).toFixed(3)} | 2.800, 2.000 | ≤ 1.1 (2 cores) | **missed** |`);
    expect(rows.find((row) => row.startsWith('| orchestration'))).toBe('| orchestration per chunk ¹ | 100 ms | | | | ≤ 100 ms | met |');
    expect(report).toMatch(/critical path at unlimited concurrency \(modelled\)/);
    expect(report).toMatch(/cost per minute of source \(modelled\)/);
  });

  it('marks a rung that loses more than 0.3 dB as missed and one within as met', () => {
    const rows = tableRows(report);
    expect(rows.find((row) => row.startsWith('| 1080p'))).toMatch(/\| -0\.22 \|.*\| met \|$/);
    expect(rows.find((row) => row.startsWith('| 720p'))).toMatch(/\| -0\.46 \|.*\| \*\*missed\*\* \|$/);
  });
});

describe('averagePsnr', () => {
  it("is ffmpeg's average: from the mean of the per-frame MSE, not the mean of per-frame PSNR", async () => {
    const { averagePsnr } = await import('../../shared/media/ffmpeg/measure-psnr.ts');
    const stats = 'n:1 mse_avg:1.00 mse_y:1.00 psnr_avg:48.13\nn:2 mse_avg:3.00 mse_y:3.00 psnr_avg:43.36\n';
    expect(averagePsnr(stats)).toBeCloseTo(10 * Math.log10((255 * 255) / 2), 9);
    expect(() => averagePsnr('')).toThrow(/no frame/);
  });
});
