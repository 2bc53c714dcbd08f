/** Waits for a job with a progress bar on stderr. */
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { tasksOf } from '../../shared/summarize-progress.ts';
import { describeProgress } from './job-report.ts';
import { startProgress } from './progress.ts';
import { watchJob, type WatchOptions } from './watch-job.ts';

export async function followJob(options: Omit<WatchOptions, 'onProgress'> & { quiet?: boolean }): Promise<Manifest> {
  const progress = options.quiet ? undefined : startProgress(`job ${options.jobId}`, 'steps');
  try {
    return await watchJob({
      ...options,
      onProgress: (summary) => {
        const { label, milestone } = describeProgress(summary);
        const { done, total } = tasksOf(summary);
        progress?.update(done, total, label, milestone);
      },
    });
  } finally {
    progress?.stop();
  }
}
