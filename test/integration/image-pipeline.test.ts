/**
 * The image path end to end, on a real MinIO and on the embedded S3 server: upload → trigger →
 * splitter → local Step Functions running the CDK-synthesized definition → image-resize →
 * assembler → manifest.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { SplitResult } from '../../shared/contracts/work-plan.ts';
import { s3EventFor } from '../../shared/contracts/upload-event.ts';
import { keys } from '../../shared/keys.ts';
import { imageFixture, type ImageFixtureName } from '../../fixtures/images.ts';
import { executionsNamed, historyOf, keysUnder, processFile, putUpload, readRendition, startTestStack, waitForManifest, type TestStack } from '../support/pipeline-harness.ts';

const FORMATS = ['avif', 'webp', 'jpeg'] as const;
const imagesOf = (manifest: Manifest) => manifest.renditions.flatMap((rendition) => (rendition.kind === 'image' ? [rendition] : []));

describe.each(['minio', 'embedded'] as const)('image pipeline on %s storage', (storage) => {
  let harness: TestStack;
  beforeAll(async () => {
    harness = await startTestStack({ storage });
    expect(harness.stack.storage.kind).toBe(storage);
  });
  afterAll(async () => harness?.stop());

  it.each([
    { fixture: 'photo.jpg', source: [1600, 1067], widths: [320, 640, 1280, 1600] },
    { fixture: 'graphic.png', source: [800, 600], widths: [320, 640, 800] },
    { fixture: 'small.png', source: [120, 90], widths: [120] },
  ] as const)('$fixture → every planned rendition, decodable, at its planned size and format', async ({ fixture, source, widths }) => {
    const manifest = await processFile(harness.stack, await imageFixture(fixture), `${storage}/${fixture}`);

    expect(manifest).toMatchObject({ status: 'succeeded', source: { mediaType: 'image', width: source[0], height: source[1] } });
    const images = imagesOf(manifest);
    expect(images.map((rendition) => `${rendition.width}:${rendition.format}`).sort()).toEqual(
      widths.flatMap((width) => FORMATS.map((format) => `${width}:${format}`)).sort(),
    );
    for (const rendition of images) {
      const bytes = await readRendition(harness.stack, rendition.key);
      const decoded = await sharp(bytes).metadata();
      expect(decoded.format === 'heif' ? 'avif' : decoded.format).toBe(rendition.format);
      expect([decoded.width, decoded.height]).toEqual([rendition.width, rendition.height]);
      expect(rendition.height).toBeCloseTo((rendition.width * source[1]) / source[0], 0);
      expect(bytes.length).toBe(rendition.bytes);
    }
    expect(manifest.timings.steps).toHaveLength(widths.length);
    expect(await keysUnder(harness.stack, manifest.jobId)).toEqual([...manifest.renditions.map((rendition) => rendition.key), keys.manifest(manifest.jobId)].sort());
  });

  it('turns a JPEG with EXIF orientation 6 upright and strips its metadata', async () => {
    const manifest = await processFile(harness.stack, await imageFixture('rotated-exif6.jpg'), `${storage}/rotated.jpg`);
    expect(manifest.source).toMatchObject({ width: 480, height: 640 });
    const jpeg = imagesOf(manifest).find((rendition) => rendition.format === 'jpeg' && rendition.width === 320)!;
    const decoded = await sharp(await readRendition(harness.stack, jpeg.key)).metadata();
    expect([decoded.width, decoded.height]).toEqual([320, 427]);
    expect(decoded.orientation).toBeUndefined();
    expect(decoded.exif).toBeUndefined();
  });

  it('starts one execution and writes one manifest when the same upload event arrives twice', async () => {
    const { upload, jobId } = await putUpload(harness.stack, await imageFixture('small.png'), `${storage}/duplicate.png`);
    const first = await waitForManifest(harness.stack, jobId);

    await harness.stack.deliver(s3EventFor(upload));
    await harness.stack.deliver(s3EventFor(upload));
    await harness.stack.idle();

    expect(await executionsNamed(harness.stack, jobId)).toBe(1);
    expect(await waitForManifest(harness.stack, jobId)).toEqual(first);
  });

  it.each<{ fixture: ImageFixtureName; code: string }>([
    { fixture: 'empty.jpg', code: 'EMPTY_INPUT' },
    { fixture: 'not-an-image.jpg', code: 'UNSUPPORTED_MEDIA_TYPE' },
    { fixture: 'truncated.jpg', code: 'CORRUPT_INPUT' },
    { fixture: 'pixel-flood.png', code: 'PIXEL_LIMIT_EXCEEDED' },
    { fixture: 'vector.svg', code: 'UNSUPPORTED_MEDIA_TYPE' },
  ])('rejects $fixture with $code, a clear message, no renditions and no retries', async ({ fixture, code }) => {
    const resizesBefore = harness.stack.functionStats()['image-resize']!.invocations;
    const { jobId } = await putUpload(harness.stack, await imageFixture(fixture), `${storage}/bad/${fixture}`);
    const manifest = await waitForManifest(harness.stack, jobId);

    expect(manifest.status).toBe('rejected');
    expect(manifest.error?.code).toBe(code);
    expect(manifest.error?.message.length).toBeGreaterThan(10);
    expect(manifest.renditions).toEqual([]);
    expect(await keysUnder(harness.stack, manifest.jobId)).toEqual([keys.manifest(manifest.jobId)]);

    // No retry storm: each planned task ran at most once, a rejection is never retried.
    await harness.stack.idle();
    const history = await historyOf(harness.stack, jobId);
    const split = history.find((event) => event.stateExitedEventDetails?.name === 'Split')!;
    const plannedTasks = SplitResult.parse(JSON.parse(split.stateExitedEventDetails!.output!).plan).imageTasks.length;
    expect(harness.stack.functionStats()['image-resize']!.invocations - resizesBefore).toBeLessThanOrEqual(plannedTasks);
    if (fixture === 'truncated.jpg') expect(plannedTasks).toBeGreaterThan(0);
    expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
  });
});
