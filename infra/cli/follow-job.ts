/** Waits for a job with a progress bar on stderr. */
import type { Manifest } from '../../shared/contracts/manifest.ts';
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
        const steps = [summary.chunks, summary.audio, summary.stills];
        progress?.update(
          steps.reduce((sum, step) => sum + step.done, 0),
          steps.reduce((sum, step) => sum + step.total, 0),
          label,
          milestone,
        );
      },
    });
  } finally {
    progress?.stop();
  }
}
