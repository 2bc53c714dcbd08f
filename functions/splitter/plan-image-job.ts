/** The splitter's image branch: probe the header (no decode), plan one resize task per width. */
import type { JobPlan, SourceFacts } from '../../shared/contracts/job.ts';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { probeImage } from '../../shared/media/image.ts';
import { planImageSizes } from './plan-image-sizes.ts';
import type { SplitSettings } from './split-upload.ts';

export async function planImageJob({ jobId, upload, localSource, settings }: { jobId: string; upload: UploadRef; localSource: string; settings: SplitSettings }): Promise<Pick<JobPlan, 'source' | 'imageTasks'>> {
  const image = await probeImage(localSource, { maxPixels: settings.maxImagePixels });
  const source: SourceFacts = { ...upload, mediaType: 'image', format: image.format, width: image.width, height: image.height };
  const pointer = { bucket: upload.bucket, key: upload.key, ...(upload.versionId ? { versionId: upload.versionId } : {}) };
  const imageTasks = planImageSizes({ sourceWidth: image.width, widths: settings.imageWidths }).map((width) => ({
    jobId,
    source: pointer,
    role: 'image' as const,
    width,
    formats: [...settings.imageFormats],
  }));
  return { source, imageTasks };
}
