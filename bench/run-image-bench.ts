/**
 * Images: N copies of the photo fixture through the pipeline (uploaded at once, timed until the
 * last manifest), against a plain sharp loop that renders the same outputs (the widths and
 * formats the first manifest lists) with image.ts's renderImageVariants, at the same concurrency.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { imageFixture } from '../fixtures/images.ts';
import type { ImageFormat } from '../shared/contracts/manifest.ts';
import type { LocalStack } from '../infra/local/local-stack.ts';
import { renderImageVariants } from '../shared/media/image.ts';
import { runPipelineJob } from './run-pipeline-job.ts';
import { startTreeWindow } from './proc-tree.ts';

export interface ImageBenchResult {
  images: number;
  outputsPerImage: number;
  pipelineSeconds: number;
  sharpLoopSeconds: number;
  pipelineImagesPerSecond: number;
  sharpLoopImagesPerSecond: number;
  pipelinePeakRssBytes: number;
  sharpLoopPeakRssBytes: number;
}

export async function runImageBench({ stack, images, concurrency, maxPixels, label }: { stack: LocalStack; images: number; concurrency: number; maxPixels: number; label: string }): Promise<ImageBenchResult> {
  const photo = await imageFixture('photo.jpg');
  const body = await readFile(photo);

  const pipelineWindow = startTreeWindow();
  const jobs = await Promise.all(Array.from({ length: images }, (_, index) => runPipelineJob(stack, body, `bench/${label}/image-${index}.jpg`)));
  const pipelineEnd = Date.now();
  const pipelineStart = Math.min(...jobs.map((job) => job.startMs));
  await stack.idle();
  const pipeline = pipelineWindow.stop();

  // The same outputs: each width the pipeline rendered, in each of its formats.
  const byWidth = new Map<number, ImageFormat[]>();
  for (const rendition of jobs[0]!.manifest.renditions) {
    if (rendition.kind !== 'image') continue;
    byWidth.set(rendition.width, [...(byWidth.get(rendition.width) ?? []), rendition.format]);
  }
  const outputsPerImage = [...byWidth.values()].reduce((sum, formats) => sum + formats.length, 0);

  const dir = await mkdtemp(join(tmpdir(), 'fanout-bench-images-'));
  try {
    const limit = pLimit(concurrency);
    const loopWindow = startTreeWindow();
    const loopStart = Date.now();
    await Promise.all(
      Array.from({ length: images }).flatMap((_, index) =>
        [...byWidth].map(([width, formats]) =>
          limit(() =>
            renderImageVariants({
              inputPath: photo,
              width,
              maxPixels,
              outputs: formats.map((format) => ({ format, outputPath: join(dir, `${index}-${width}.${format}`) })),
            }),
          ),
        ),
      ),
    );
    const loopSeconds = (Date.now() - loopStart) / 1000;
    const loop = loopWindow.stop();
    const pipelineSeconds = (pipelineEnd - pipelineStart) / 1000;
    return {
      images,
      outputsPerImage,
      pipelineSeconds,
      sharpLoopSeconds: loopSeconds,
      pipelineImagesPerSecond: images / pipelineSeconds,
      sharpLoopImagesPerSecond: images / loopSeconds,
      pipelinePeakRssBytes: pipeline.peakRssBytes,
      sharpLoopPeakRssBytes: loop.peakRssBytes,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
