/** What several commands read from the environment and print the same way. */
import { parseQualityTarget } from '../../../shared/contracts/quality.ts';
import { detectQualityMetric, requireTargetMetric } from '../../../shared/media/ffmpeg/detect-quality-metric.ts';
import type { LocalStackOptions } from '../../local/local-stack.ts';

/** MINIO_ENDPOINT (+ MINIO_ROOT_USER / MINIO_ROOT_PASSWORD) points at a MinIO that already runs. */
export function externalMinioFromEnv(env = process.env): LocalStackOptions['externalMinio'] {
  if (!env.MINIO_ENDPOINT) return undefined;
  const accessKeyId = env.MINIO_ROOT_USER ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.MINIO_ROOT_PASSWORD ?? env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('MINIO_ENDPOINT is set: also set MINIO_ROOT_USER and MINIO_ROOT_PASSWORD');
  return { endpoint: env.MINIO_ENDPOINT, accessKeyId, secretAccessKey };
}

/**
 * `--quality-target ssim:0.98`: the splitter's QUALITY_TARGET in the local host's function
 * environment, once this machine's ffmpeg is known to measure in its metric (vmaf needs libvmaf):
 * refused here, before a stack starts, rather than by every job.
 */
export async function qualityTargetEnvironment(qualityTarget: string | undefined): Promise<Pick<LocalStackOptions, 'functionEnvironment'>> {
  if (!qualityTarget) return {};
  requireTargetMetric(parseQualityTarget(qualityTarget), await detectQualityMetric());
  return { functionEnvironment: { splitter: { QUALITY_TARGET: qualityTarget } } };
}

export function logToStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** 0 succeeded, 2 rejected (the input's fault), 1 failed. */
export const exitCodeFor = { succeeded: 0, rejected: 2, failed: 1 } as const;
