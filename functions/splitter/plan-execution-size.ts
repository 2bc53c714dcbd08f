/**
 * Whether one execution can carry a video's chunk tasks. The plan is the Split state's result,
 * and Step Functions caps a state's payload at 256 KiB; every chunk is one Map item there,
 * {kind, jobId, index}, so a long enough video in short chunks would fail the state with
 * States.DataLimitExceeded after everything was cut. This decides it up front, from the
 * duration, with DURATION_EXCEEDED naming the bound.
 */
import { InputRejectedError } from '../../shared/errors.ts';

/** Step Functions' cap on an execution's input and on a state's payload. */
export const EXECUTION_INPUT_LIMIT_BYTES = 256 * 1024;
/** Kept for the rest of the plan: source facts, the image and audio tasks, and JSON framing. */
const REST_OF_PLAN_BYTES = 32 * 1024;

/** The most chunk tasks for this job that fit beside the rest of the plan. */
export function mostChunkTasks(jobId: string): number {
  // The largest index we could write, plus the comma between items.
  const taskBytes = Buffer.byteLength(JSON.stringify({ kind: 'chunk', jobId, index: 9_999_999 })) + 1;
  return Math.floor((EXECUTION_INPUT_LIMIT_BYTES - REST_OF_PLAN_BYTES) / taskBytes);
}

export function checkExecutionInputFits({ jobId, durationSeconds, chunkSeconds }: { jobId: string; durationSeconds: number; chunkSeconds: number }): void {
  const chunks = Math.ceil(durationSeconds / chunkSeconds);
  const most = mostChunkTasks(jobId);
  if (chunks > most) {
    throw new InputRejectedError(
      'DURATION_EXCEEDED',
      `${Math.round(durationSeconds)} s long: ${chunks} chunks of ${chunkSeconds} s, and one execution's 256 KiB input carries at most ${most} (${Math.floor(most * chunkSeconds)} s)`,
    );
  }
}
