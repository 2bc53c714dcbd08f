/**
 * A: one upload through the running local stack, timed from the PutObject to the manifest.
 * The renditions are downloaded afterwards (outside the window) for the quality comparison.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '../shared/contracts/manifest.ts';
import { jobIdFor } from '../shared/job-id.ts';
import type { LocalStack } from '../infra/local/local-stack.ts';

export interface PipelineJob {
  jobId: string;
  manifest: Manifest;
  startMs: number;
  manifestMs: number;
}

/** Uploads `body` under `key` and waits for its manifest. */
export async function runPipelineJob(stack: LocalStack, body: Buffer, key: string, timeoutMs = 60 * 60_000): Promise<PipelineJob> {
  const bucket = stack.deployment.buckets.input;
  const startMs = Date.now();
  const put = await stack.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const jobId = jobIdFor({ bucket, key, etag: put.ETag?.replace(/"/g, ''), versionId: put.VersionId });
  const manifest = await stack.waitForJob(jobId, { timeoutMs, pollMs: 50 });
  const manifestMs = Date.now();
  if (manifest.status !== 'succeeded') throw new Error(`bench job ${jobId} ${manifest.status}: ${manifest.error?.message ?? ''}`);
  return { jobId, manifest, startMs, manifestMs };
}

/** The job's video renditions, downloaded, by rung name. */
export async function downloadVideoRenditions(stack: LocalStack, manifest: Manifest): Promise<Record<string, { path: string; bytes: number; width: number; height: number; frames: number }>> {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-bench-a-'));
  const outputs: Record<string, { path: string; bytes: number; width: number; height: number; frames: number }> = {};
  for (const rendition of manifest.renditions) {
    if (rendition.kind !== 'video') continue;
    const object = await stack.s3.send(new GetObjectCommand({ Bucket: stack.deployment.buckets.renditions, Key: rendition.key }));
    const path = join(dir, `${rendition.rung}.mp4`);
    await writeFile(path, await object.Body!.transformToByteArray());
    outputs[rendition.rung] = { path, bytes: rendition.bytes, width: rendition.width, height: rendition.height, frames: rendition.frames };
  }
  return outputs;
}
