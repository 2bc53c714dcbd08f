/** Copies everything a job wrote (manifest, renditions, the HLS package) into a folder. */
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { keys } from '../../shared/keys.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';

export async function downloadJob({ s3, renditionsBucket, manifest, outDir }: { s3: S3Client; renditionsBucket: string; manifest: Manifest; outDir: string }): Promise<string> {
  const store = s3ObjectStore(s3);
  const root = resolve(outDir);
  const jobPrefix = keys.jobPrefix(manifest.jobId);
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: renditionsBucket, Prefix: jobPrefix })) {
    for (const { Key: key } of page.Contents ?? []) {
      if (!key) continue;
      const target = join(root, key.slice(jobPrefix.length));
      // Keys are ours, but a path must never leave the folder the user chose.
      if (relative(root, target).startsWith('..')) throw new Error(`refusing to write ${key} outside ${root}`);
      await mkdir(dirname(target), { recursive: true });
      await store.download({ bucket: renditionsBucket, key }, target);
    }
  }
  return root;
}
