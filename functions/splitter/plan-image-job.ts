/** The splitter's image branch: probe the header (no decode), plan one resize task per width. */
import type { SourceFacts } from '../../shared/contracts/manifest.ts';
import type { SplitResult } from '../../shared/contracts/work-plan.ts';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { probeImage } from '../../shared/media/image.ts';
import { planImageSizes } from './plan-image-sizes.ts';
import { uploadedObject, type SplitSettings } from './split-upload.ts';

export async function planImageJob({ jobId, upload, localSource, settings }: { jobId: string; upload: UploadRef; localSource: string; settings: SplitSettings }): Promise<Pick<SplitResult, 'source' | 'imageTasks'>> {
  const image = await probeImage(localSource, { maxPixels: settings.maxImagePixels });
  const source: SourceFacts = { ...upload, mediaType: 'image', format: image.format, width: image.width, height: image.height };
  // The very upload the event named, as the splitter read it: an overwrite since must not slip in.
  const pointer = uploadedObject(upload);
  const imageTasks = planImageSizes({ sourceWidth: image.width, widths: settings.imageWidths }).map((width) => ({
    jobId,
    source: pointer,
    role: 'image' as const,
    width,
    formats: [...settings.imageFormats],
  }));
  return { source, imageTasks };
}
