/** Lambda entry: one chunk of a video (every rung), or a file's audio. */
import { tmpdir } from 'node:os';
import { createS3Client } from '../../shared/aws-clients.ts';
import { EncoderEnv, loadConfig } from '../../shared/config.ts';
import { EncodeTask, type EncodeResult } from '../../shared/contracts/job.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { runEncodeTask } from './run-encode-task.ts';

const config = loadConfig(EncoderEnv);
const store = s3ObjectStore(createS3Client(config));

export async function handler(event: unknown): Promise<EncodeResult> {
  return runEncodeTask(EncodeTask.parse(event), { store, workBucket: config.WORK_BUCKET, tmpDir: tmpdir() });
}
