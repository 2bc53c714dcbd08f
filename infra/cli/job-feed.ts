/**
 * What `fanout dev` prints as jobs come and go: a line when a job starts, and one when its
 * manifest says how it ended (or, where an execution ended without one, that it failed and why). It polls the state machine's executions, as a person would.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeEnd, readManifest } from './watch-job.ts';

export function followJobs({ sfn, s3, stateMachineArn, renditionsBucket, onLine, intervalMs = 1000 }: {
  sfn: SFNClient;
  s3: S3Client;
  stateMachineArn: string;
  renditionsBucket: string;
  onLine: (line: string) => void;
  intervalMs?: number;
}): { stop(): void } {
  const announced = new Map<string, 'started' | 'ended'>();
  let stopped = false;
  const poll = async () => {
    const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 100 }));
    for (const execution of executions.reverse()) {
      const jobId = execution.name ?? '';
      const seen = announced.get(jobId);
      if (execution.status === 'RUNNING' && !seen) {
        announced.set(jobId, 'started');
        onLine(`job ${jobId} started`);
      } else if (execution.status !== 'RUNNING' && seen !== 'ended') {
        // Marked only once told: a failed read is tried again at the next poll.
        onLine(await describeEnding({ sfn, s3, renditionsBucket, jobId, executionArn: execution.executionArn ?? '' }));
        announced.set(jobId, 'ended');
      }
    }
  };
  const loop = async () => {
    // Jobs that ended before this start are history, not news.
    const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 100 })).catch(() => ({ executions: [] }));
    for (const execution of executions) if (execution.status !== 'RUNNING') announced.set(execution.name ?? '', 'ended');
    while (!stopped) {
      await poll().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
    },
  };
}

async function describeEnding({ sfn, s3, renditionsBucket, jobId, executionArn }: { sfn: SFNClient; s3: S3Client; renditionsBucket: string; jobId: string; executionArn: string }): Promise<string> {
  const manifest = await readManifest(s3, renditionsBucket, jobId);
  if (manifest) {
    const outcome = `${manifest.status}${manifest.error ? ` (${manifest.error.code}: ${manifest.error.message})` : `, ${manifest.renditions.length} renditions`} in ${(manifest.timings.totalMs / 1000).toFixed(1)} s`;
    return `job ${jobId} ${outcome}: npx fanout status ${jobId}`;
  }
  // The assembler writes the manifest before the execution ends: without one, the job failed.
  const { status = 'UNKNOWN', error, cause } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  return `job ${jobId} failed: ${describeEnd({ status, ...(error && { error }), ...(cause && { cause }) })}`;
}
