/**
 * A deployment whose QUALITY_TARGET asks for VMAF while its ffmpeg has no libvmaf (the CLI
 * refuses this before a local stack starts; a deployed splitter meets it per job): the job ends
 * `failed` (the stack's fault, not the upload's) with QUALITY_METRIC_UNAVAILABLE, fast, before
 * any chunk is cut or encoded. Real local stack, real ffmpeg (Debian's has no libvmaf).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoFixture } from '../../fixtures/videos.ts';
import { detectQualityMetric } from '../../shared/media/ffmpeg/detect-quality-metric.ts';
import { processFile, startTestStack, type TestStack } from '../support/pipeline-harness.ts';

const hasLibvmaf = (await detectQualityMetric()).metric === 'vmaf';

describe.skipIf(hasLibvmaf)('a vmaf target on an ffmpeg without libvmaf', () => {
  let harness: TestStack;
  beforeAll(async () => {
    harness = await startTestStack({ storage: 'embedded', functionEnvironment: { splitter: { QUALITY_TARGET: 'vmaf:93' } } });
  }, 120_000);
  afterAll(async () => harness?.stop());

  it('fails the job with QUALITY_METRIC_UNAVAILABLE, naming the ffmpeg, and encodes nothing', async () => {
    const manifest = await processFile(harness.stack, await videoFixture('h264.mp4'));
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatchObject({ code: 'QUALITY_METRIC_UNAVAILABLE', message: expect.stringMatching(/vmaf:93 needs an ffmpeg with libvmaf, and ffmpeg \S+ has none/) });
    expect(manifest.renditions).toEqual([]);
  }, 120_000);
});
