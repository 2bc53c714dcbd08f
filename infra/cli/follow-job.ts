/** Waits for a job with a progress bar on stderr. */
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { startProgress } from './progress.ts';
import { watchJob, type WatchOptions } from './watch-job.ts';

export async function followJob(options: Omit<WatchOptions, 'onProgress'> & { quiet?: boolean }): Promise<Manifest> {
  const progress = options.quiet ? undefined : startProgress(`job ${options.jobId}`, 'steps');
  try {
    return await watchJob({ ...options, onProgress: ({ phase, done, total }) => progress?.update(done, total, phase) });
  } finally {
    progress?.stop();
  }
}
