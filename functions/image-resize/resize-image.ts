/** image-resize's core: one width of one image, every output format, written to the renditions bucket. */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageRendition, ImageTask, ImageTaskResult } from '../../shared/contracts/job.ts';
import { contentTypeOf, keys } from '../../shared/keys.ts';
import { renderImageVariant } from '../../shared/media/image.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';

export interface ResizeDependencies {
  store: ObjectStore;
  renditionsBucket: string;
  maxPixels: number;
  tmpDir: string;
}

export async function resizeImage(task: ImageTask, deps: ResizeDependencies): Promise<ImageTaskResult> {
  const started = performance.now();
  const workDir = await mkdtemp(join(deps.tmpDir, 'resize-'));
  try {
    const inputPath = join(workDir, 'source');
    await deps.store.download(task.source, inputPath);
    const renditions = await Promise.all(
      task.formats.map(async (format): Promise<ImageRendition> => {
        const outputPath = join(workDir, `${task.width}.${format}`);
        const rendered = await renderImageVariant({ inputPath, outputPath, width: task.width, format, maxPixels: deps.maxPixels });
        const key = keys.imageRendition(task.jobId, task.width, format);
        const { bytes } = await deps.store.uploadFile({ bucket: deps.renditionsBucket, key }, outputPath, contentTypeOf[format]);
        return { kind: 'image', key, format, width: rendered.width, height: rendered.height, bytes };
      }),
    );
    return { width: task.width, renditions, durationMs: Math.round(performance.now() - started) };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
