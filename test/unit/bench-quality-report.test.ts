import { describe, expect, it } from 'vitest';
import { formatQualityReport, summarizeTitle, type ModeRecord, type QualityCorpusRecord, type RungRecord, type TitleRecord } from '../../bench/quality-report.ts';
import { viewedSize, windowedSsim } from '../../bench/measure-ssim.ts';

const score = (worstWindow: number, mean = worstWindow + 0.002) => ({ mean, worstWindow, frames: 120 });
const rung = (name: string, bytes: number, worst: number, extra: Partial<RungRecord> = {}): RungRecord => ({ rung: name, width: 640, height: 360, bytes, bitrateKbps: bytes / 500, fidelity: score(worst), viewed: score(worst - 0.01), ...extra });
const fixed: ModeRecord = {
  wallMs: 10_000,
  cpuSeconds: 20,
  rungs: [rung('720p', 1_000_000, 0.991), rung('480p', 500_000, 0.985), rung('360p', 300_000, 0.979)],
  work: { chunkReports: 4, crfSearches: 0, encodeCpuMs: 10_000, measureCpuMs: 1_000, searchCpuMs: 0, unreached: [] },
};
const target = { metric: 'ssim', value: 0.98 } as const;

describe('summarizeTitle', () => {
  it('prints n/a with the reason when the target mode is not there, and still reads the fixed ladder', () => {
    const title: TitleRecord = { name: 'slides', easy: true, description: '', fixed, target: { unavailable: 'target mode not merged' } };
    const summary = summarizeTitle(title, target);
    expect(summary.bytesSaved).toEqual({ na: 'target mode not merged' });
    expect(summary.fixedBytes).toBe(1_800_000);
    expect(summary.rungs.map((r) => r.fixedWouldMeet)).toEqual([0.991, 0.985, 0.979]);
    expect(summary.measureCpuShare).toEqual({ value: 0.1 });
    expect(formatQualityReport(record(title))).toContain('n/a: target mode not merged');
  });

  it('counts bytes saved overall and at equal or better worst window, a dropped rung, and a rung below the target unless the cap bound it', () => {
    const targeted: ModeRecord = {
      wallMs: 12_000,
      cpuSeconds: 23,
      // 720p: fewer bytes and better worst; 480p: below target, not cap-bound; 360p dropped.
      rungs: [rung('720p', 400_000, 0.992, { crfs: [30, 31] }), rung('480p', 200_000, 0.975)],
      ladder: { mode: 'target', target, measuredWith: 'ffmpeg 5.1 ssim', dropped: [{ rung: '360p', width: 640, height: 360, bitrateKbps: 300, quality: 0.95, reason: 'under 1.5× the rung below' }] },
      work: { chunkReports: 4, crfSearches: 2, encodeCpuMs: 8_000, measureCpuMs: 800, searchCpuMs: 2_000, unreached: [] },
    };
    const summary = summarizeTitle({ name: 'slides', easy: true, description: '', fixed, target: targeted }, target);
    expect(summary.bytesSaved).toEqual({ value: 1 - 600_000 / 1_800_000 });
    expect(summary.bytesSavedAtEqualOrBetter).toEqual({ value: 1 - 400_000 / 1_000_000, rungs: ['720p'] });
    expect(summary.searchCpuShare).toEqual({ value: 0.25 });
    expect(summary.searchCpuSeconds).toEqual({ value: 2 });
    expect(summary.extraCpuSeconds).toEqual({ value: expect.closeTo(3, 9) });
    expect(summary.belowTarget).toEqual(['480p']);
    expect(summary.rungs[2]!.target).toMatchObject({ dropped: { rung: '360p' } });

    const capBound = summarizeTitle({ name: 'slides', easy: true, description: '', fixed, target: { ...targeted, work: { ...targeted.work!, unreached: ['480p'] } } }, target);
    expect(capBound.belowTarget).toEqual([]);

    const report = formatQualityReport(record({ name: 'slides', easy: true, description: '', fixed, target: targeted }));
    expect(report).toContain('| slides: ≥ 30.0% fewer bytes at ssim:0.98 | met |');
    expect(report).toContain('| never below ssim:0.98 where the cap allows | **missed** |');
    expect(report).toContain('| slides | 360p | 300000 | 0.9790 (ssim:0.9790) | dropped: under 1.5× the rung below |');
    expect(report).toContain('| 30 31 |');
  });
});

function record(title: TitleRecord): QualityCorpusRecord {
  return { target, width: 1280, height: 720, fps: 30, seconds: 8, windowSeconds: 4, titles: [title] };
}

describe('windowedSsim', () => {
  it('means every frame and takes the worst window, a short last one included', () => {
    const stats = [0.99, 0.97, 0.95, 0.99, 0.9].map((all, index) => `n:${index + 1} Y:1 U:1 V:1 All:${all} (20.0)`).join('\n');
    const result = windowedSsim(stats, 2);
    expect(result.mean).toBeCloseTo(0.96, 12);
    expect(result.worstWindow).toBeCloseTo(0.9, 12);
    expect(result.frames).toBe(5);
    expect(() => windowedSsim('', 2)).toThrow(/no frame/);
  });
});

describe('viewedSize', () => {
  it.each([
    [1280, 720, 1280, 720],
    [3840, 2160, 1920, 1080],
    [1080, 1920, 1080, 1920],
    [2160, 3840, 1080, 1920],
  ])('%d×%d is viewed at %d×%d', (width, height, viewedWidth, viewedHeight) => {
    expect(viewedSize(width, height)).toEqual({ width: viewedWidth, height: viewedHeight });
  });
});
