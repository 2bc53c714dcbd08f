/**
 * What the ffmpeg in use can measure quality with, asked once per process (`ffmpeg -filters`,
 * `ffmpeg -version`) and kept: VMAF where it was built with libvmaf (the deployed image's static
 * ffmpeg), else SSIM (a native filter in every build), PSNR only if even that is missing.
 */
import { InternalError } from '../../errors.ts';
import type { QualityMetric, QualityTarget } from '../../contracts/quality.ts';
import { runBoundedProcess } from './run-bounded-process.ts';

export interface QualityCapability {
  metric: QualityMetric;
  /** `5.1.9-0+deb12u1`, `7.1`, `N-118000-g…`: the first line of `ffmpeg -version`. */
  ffmpegVersion: string;
}

/** The filter that computes each metric. */
export const METRIC_FILTER: Record<QualityMetric, string> = { vmaf: 'libvmaf', ssim: 'ssim', psnr: 'psnr' };

const QUERY_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 1024 * 1024;

let detected: Promise<QualityCapability> | undefined;

export function detectQualityMetric(): Promise<QualityCapability> {
  detected ??= detect().catch((error: unknown) => {
    detected = undefined; // a failed query is asked again next time, not cached
    throw error;
  });
  return detected;
}

async function detect(): Promise<QualityCapability> {
  const [filters, version] = await Promise.all([ffmpegSays(['-hide_banner', '-filters']), ffmpegSays(['-version'])]);
  return { metric: qualityMetricOf(filters), ffmpegVersion: ffmpegVersionOf(version) };
}

/** The best metric a `ffmpeg -filters` listing offers. */
export function qualityMetricOf(filtersListing: string): QualityMetric {
  // Each filter line: flags, name, pads, description (` TS. ssim  VV->V  Calculate the SSIM…`).
  const names = new Set([...filtersListing.matchAll(/^\s*[A-Z.|]{2,3}\s+(\S+)\s+\S*->\S*/gm)].map((match) => match[1]));
  const metric = (['vmaf', 'ssim', 'psnr'] as const).find((candidate) => names.has(METRIC_FILTER[candidate]));
  if (!metric) throw new InternalError('ENCODER_FAILED', 'this ffmpeg has none of the libvmaf, ssim and psnr filters: quality cannot be measured');
  return metric;
}

/** `ffmpeg version 5.1.9-0+deb12u1 Copyright …` → `5.1.9-0+deb12u1`. */
export function ffmpegVersionOf(versionText: string): string {
  const version = /^ffmpeg version (\S+)/m.exec(versionText)?.[1];
  if (!version) throw new InternalError('ENCODER_FAILED', `ffmpeg -version printed no version: ${JSON.stringify(versionText.slice(0, 80))}`);
  return version;
}

/**
 * A quality target is judged in its own metric: a vmaf target needs libvmaf in the ffmpeg that
 * probes and measures. Without it the stack is misconfigured (not the upload's fault): refused
 * where it is set (the CLI) and, on a deployment, when a job meets it (the splitter).
 */
export function requireTargetMetric(target: QualityTarget, capability: QualityCapability): void {
  if (target.metric === 'vmaf' && capability.metric !== 'vmaf') {
    throw new InternalError('QUALITY_METRIC_UNAVAILABLE', `the quality target vmaf:${target.value} needs an ffmpeg with libvmaf, and ffmpeg ${capability.ffmpegVersion} has none: use an ssim target (ssim:0.98) or an ffmpeg built with libvmaf`);
  }
}

/** The manifest's `ladder.measuredWith`: `ffmpeg 7.1 libvmaf`, `ffmpeg 5.1.9-0+deb12u1 ssim`. */
export function measuredWith(capability: Pick<QualityCapability, 'ffmpegVersion'>, metric: QualityMetric): string {
  return `ffmpeg ${capability.ffmpegVersion} ${METRIC_FILTER[metric]}`;
}

function ffmpegSays(args: string[]): Promise<string> {
  return runBoundedProcess({
    command: 'ffmpeg',
    args,
    timeoutMs: QUERY_TIMEOUT_MS,
    maxOutputBytes: MAX_OUTPUT_BYTES,
    failure: (failure) => new InternalError('ENCODER_FAILED', `ffmpeg ${args.join(' ')} failed: ${failure.kind === 'exit' ? failure.stderr : failure.kind}`),
  });
}
