/** Lambda entry: the last step of every execution, successful or not. */
import { tmpdir } from 'node:os';
import { createS3Client } from '../../shared/aws-clients.ts';
import { AssemblerEnv, loadConfig } from '../../shared/config.ts';
import { AssembleInput, type AssembleResult } from '../../shared/contracts/job.ts';
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts';
import { assembleJob } from './assemble-job.ts';

const config = loadConfig(AssemblerEnv);
const store = s3ObjectStore(createS3Client(config));

export async function handler(event: unknown): Promise<AssembleResult> {
  return assembleJob(AssembleInput.parse(event), { store, renditionsBucket: config.RENDITIONS_BUCKET, workBucket: config.WORK_BUCKET, tmpDir: tmpdir() });
}
