/** Lambda entry: one Map item of the image fan-out. */
import { tmpdir } from 'node:os';
import { createS3Client } from '../../shared/aws-clients.ts';
import { ImageResizeEnv, loadConfig } from '../../shared/config.ts';
import { ImageTask, type ImageTaskResult } from '../../shared/contracts/job.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { resizeImage } from './resize-image.ts';

const config = loadConfig(ImageResizeEnv);
const store = s3ObjectStore(createS3Client(config));

export async function handler(event: unknown): Promise<ImageTaskResult> {
  return resizeImage(ImageTask.parse(event), {
    store,
    renditionsBucket: config.RENDITIONS_BUCKET,
    maxPixels: config.IMAGE_MAX_PIXELS,
    tmpDir: tmpdir(),
  });
}
