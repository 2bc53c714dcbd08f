/** The pure parts of measuring quality: the stats files, the capability listing, the CPU line. */
import { describe, expect, it } from 'vitest';
import { parseQualityTarget } from '../../shared/contracts/quality.ts';
import { ffmpegVersionOf, measuredWith, qualityMetricOf, requireTargetMetric } from '../../shared/media/ffmpeg/detect-quality-metric.ts';
import { parseFrameScores, PSNR_CAP_DB, summarizeFrameScores } from '../../shared/media/ffmpeg/measure-quality.ts';
import { benchmarkCpuMs } from '../../shared/media/ffmpeg/run-ffmpeg.ts';

describe('parseFrameScores', () => {
  it('reads ssim\'s All (the planes weighed by size) from every frame line, not Y', () => {
    const stats = [
      'n:1 Y:0.457700 U:0.562953 V:0.611528 All:0.500880 (3.017950)',
      'n:2 Y:0.459586 U:0.562485 V:0.610959 All:0.501965 (3.027399)',
      'n:3 Y:1.000000 U:1.000000 V:1.000000 All:1.000000 (inf)',
      '',
    ].join('\n');
    expect(parseFrameScores('ssim', stats)).toEqual([0.50088, 0.501965, 1]);
  });

  it('reads psnr_avg, an identical frame (inf) counting as the cap', () => {
    const stats = [
      'n:1 mse_avg:0.52 mse_y:0.40 mse_u:0.80 mse_v:0.77 psnr_avg:50.97 psnr_y:52.11 psnr_u:49.10 psnr_v:49.27 ',
      'n:2 mse_avg:0.00 mse_y:0.00 mse_u:0.00 mse_v:0.00 psnr_avg:inf psnr_y:inf psnr_u:inf psnr_v:inf ',
    ].join('\n');
    expect(parseFrameScores('psnr', stats)).toEqual([50.97, PSNR_CAP_DB]);
  });

  it('reads libvmaf\'s JSON log, frame by frame', () => {
    const log = JSON.stringify({
      version: '2.3.1',
      frames: [
        { frameNum: 0, metrics: { integer_motion2: 0, integer_adm2: 0.97, vmaf: 93.25 } },
        { frameNum: 1, metrics: { integer_motion2: 1.2, integer_adm2: 0.95, vmaf: 88.5 } },
      ],
      pooled_metrics: { vmaf: { min: 88.5, max: 93.25, mean: 90.875 } },
    });
    expect(parseFrameScores('vmaf', log)).toEqual([93.25, 88.5]);
  });

  it('refuses a line it cannot read rather than counting it as zero', () => {
    expect(() => parseFrameScores('ssim', 'n:1 Y:0.9 U:0.9 V:0.9\n')).toThrow(/without All:/);
    expect(() => parseFrameScores('vmaf', '{"frames":[{"metrics":{}}]}')).toThrow();
  });
});

describe('summarizeFrameScores', () => {
  it('gives the mean, the worst frame and the count', () => {
    const summary = summarizeFrameScores([0.99, 0.95, 0.97, 0.93]);
    expect(summary).toMatchObject({ minFrame: 0.93, frames: 4 });
    expect(summary.mean).toBeCloseTo(0.96, 12);
  });

  it('refuses an empty measurement', () => {
    expect(() => summarizeFrameScores([])).toThrow(RangeError);
  });
});

describe('qualityMetricOf', () => {
  const listing = (...names: string[]) =>
    ['Filters:', '  T.. = Timeline support', '  | = Source or sink filter', ...names.map((name) => ` TS. ${name.padEnd(17)} VV->V      Calculate something.`), ' ... scale             V->V       Scale the input video size.'].join('\n');

  it('prefers libvmaf, then ssim, then psnr', () => {
    expect(qualityMetricOf(listing('libvmaf', 'psnr', 'ssim'))).toBe('vmaf');
    expect(qualityMetricOf(listing('psnr', 'ssim', 'vmafmotion'))).toBe('ssim');
    expect(qualityMetricOf(listing('psnr'))).toBe('psnr');
  });

  it('does not take vmafmotion (one VMAF feature) for VMAF', () => {
    expect(qualityMetricOf(listing('vmafmotion', 'ssim'))).toBe('ssim');
  });

  it('fails when nothing can measure', () => {
    expect(() => qualityMetricOf(listing('vmafmotion'))).toThrow(/none of the libvmaf, ssim and psnr filters/);
  });
});

describe('a quality target and the ffmpeg that must judge it', () => {
  it('parses ssim and vmaf targets, each in its own range', () => {
    expect(parseQualityTarget('ssim:0.98')).toEqual({ metric: 'ssim', value: 0.98 });
    expect(parseQualityTarget(' VMAF:93 ')).toEqual({ metric: 'vmaf', value: 93 });
    for (const text of ['ssim:1.2', 'vmaf:101', 'vmaf:0', 'vmaf:0.98', 'psnr:40', 'ssim', 'ssim:0.98x']) expect(() => parseQualityTarget(text), text).toThrow();
  });

  it('refuses a vmaf target where the ffmpeg has no libvmaf, naming the build', () => {
    const vmaf = { metric: 'vmaf' as const, value: 93 };
    expect(() => requireTargetMetric(vmaf, { metric: 'ssim', ffmpegVersion: '5.1.9' })).toThrow(expect.objectContaining({ code: 'QUALITY_METRIC_UNAVAILABLE', message: expect.stringMatching(/vmaf:93 needs an ffmpeg with libvmaf, and ffmpeg 5\.1\.9 has none/) }));
    expect(() => requireTargetMetric(vmaf, { metric: 'vmaf', ffmpegVersion: '7.1' })).not.toThrow();
    // SSIM is a native filter: an ssim target is judged in SSIM even where VMAF measures the rungs.
    expect(() => requireTargetMetric({ metric: 'ssim', value: 0.98 }, { metric: 'vmaf', ffmpegVersion: '7.1' })).not.toThrow();
  });
});

describe('the ffmpeg build in the manifest', () => {
  it('takes the version from the first line of ffmpeg -version', () => {
    expect(ffmpegVersionOf('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers\nbuilt with gcc 12')).toBe('5.1.9-0+deb12u1');
    expect(ffmpegVersionOf('ffmpeg version 7.1 Copyright (c) 2000-2024')).toBe('7.1');
    expect(() => ffmpegVersionOf('command not found')).toThrow(/no version/);
  });

  it('names the build and the filter that measured', () => {
    expect(measuredWith({ ffmpegVersion: '7.1' }, 'vmaf')).toBe('ffmpeg 7.1 libvmaf');
    expect(measuredWith({ ffmpegVersion: '5.1.9-0+deb12u1' }, 'ssim')).toBe('ffmpeg 5.1.9-0+deb12u1 ssim');
  });
});

describe('benchmarkCpuMs', () => {
  it('adds user and system CPU from ffmpeg\'s bench line', () => {
    expect(benchmarkCpuMs('[libx264 @ 0x1] kb/s:120.5\nbench: utime=1.234s stime=0.056s rtime=0.789s\nbench: maxrss=81232kB\n')).toBe(1290);
  });

  it('says nothing when there is no bench line', () => {
    expect(benchmarkCpuMs('video:12kB audio:0kB')).toBeUndefined();
  });
});
