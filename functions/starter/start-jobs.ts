/**
 * The starter's core: one execution per announced upload, named after its job id, with only
 * what the event said as input. It reads no object (the splitter, inside the pipeline, does),
 * so it needs no S3 access, no ffprobe, and little time: a crash or a timeout of what comes
 * after it happens inside an execution, where a Catch turns it into a manifest.
 */
import { ExecutionInput } from '../../shared/contracts/execution-input.ts';
import { announcedUploads } from '../../shared/contracts/upload-event.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import type { JobStarter } from '../../shared/workflow.ts';

export interface StartedJob {
  jobId: string;
  key: string;
  /** ignored: not the input bucket (a misrouted notification must not recurse). */
  result: 'started' | 'duplicate' | 'ignored';
}

export async function startJobs(event: unknown, deps: { jobs: JobStarter; inputBucket: string; now?: () => Date }): Promise<StartedJob[]> {
  const receivedAt = (deps.now ?? (() => new Date()))().toISOString();
  const announced = announcedUploads(event);
  // One record failing must not drop the others: the event is retried whole, and the records
  // already started come back as duplicates.
  const settled = await Promise.allSettled(
    announced.map(async ({ upload, eventTime }): Promise<StartedJob> => {
      const jobId = jobIdFor(upload);
      if (upload.bucket !== deps.inputBucket) return { jobId, key: upload.key, result: 'ignored' };
      const input = ExecutionInput.parse({ jobId, upload, receivedAt, ...(eventTime ? { uploadedAt: eventTime } : {}) });
      return { jobId, key: upload.key, result: await deps.jobs.start(jobId, input) };
    }),
  );
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
}
