/** image-resize's core: one width of one image, every output format, written to the renditions bucket. */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageRendition } from '../../shared/contracts/manifest.ts';
import type { ImageTask, ImageTaskResult } from '../../shared/contracts/work-plan.ts';
import { contentTypeOf, keys } from '../../shared/keys.ts';
import { WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';
import { renderImageVariants } from '../../shared/media/image.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';

export interface ResizeDependencies {
  store: ObjectStore;
  renditionsBucket: string;
  maxPixels: number;
  tmpDir: string;
}

/** One try's work; the handler adds how many tries it took. */
export async function resizeImage(task: ImageTask, deps: ResizeDependencies): Promise<Omit<ImageTaskResult, 'attempts'>> {
  const role = task.role ?? 'image';
  const started = performance.now();
  const workDir = await mkdtemp(join(deps.tmpDir, WORK_DIR_PREFIX['image-resize']));
  try {
    const inputPath = join(workDir, 'source');
    await deps.store.download(task.source, inputPath);
    const outputs = task.formats.map((format) => ({ format, outputPath: join(workDir, `${task.width}.${format}`) }));
    // One decode per width, every format encoded from it.
    const rendered = await renderImageVariants({ inputPath, width: task.width, maxPixels: deps.maxPixels, outputs });
    const renditions = await Promise.all(
      outputs.map(async ({ format, outputPath }, index): Promise<ImageRendition> => {
        const key = keys.imageRendition(task.jobId, task.width, format, role, task.ordinal);
        const { bytes } = await deps.store.uploadFile({ bucket: deps.renditionsBucket, key }, outputPath, contentTypeOf[format]);
        return { kind: 'image', role, ...(task.ordinal ? { ordinal: task.ordinal } : {}), key, format, width: rendered[index]!.width, height: rendered[index]!.height, bytes };
      }),
    );
    return { width: task.width, renditions, durationMs: Math.round(performance.now() - started) };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
