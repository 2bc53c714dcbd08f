/**
 * Where a job's objects live. Every output sits under the job id in the renditions bucket,
 * which is separate from the input bucket so that writing an output never triggers a job.
 */
import type { ImageFormat } from './contracts/job.ts';

const extensionOf: Record<ImageFormat, string> = { avif: 'avif', webp: 'webp', jpeg: 'jpg' };

export const keys = {
  jobPrefix: (jobId: string) => `${jobId}/`,
  manifest: (jobId: string) => `${jobId}/manifest.json`,
  imageRendition: (jobId: string, width: number, format: ImageFormat) => `${jobId}/image/${width}w.${extensionOf[format]}`,
};

export const contentTypeOf: Record<ImageFormat, string> = { avif: 'image/avif', webp: 'image/webp', jpeg: 'image/jpeg' };
