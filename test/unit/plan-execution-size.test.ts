import { describe, expect, it } from 'vitest';
import { checkExecutionInputFits, EXECUTION_INPUT_LIMIT_BYTES, mostChunkTasks } from '../../functions/splitter/plan-execution-size.ts';
import { SplitResult } from '../../shared/contracts/work-plan.ts';
import { InputRejectedError } from '../../shared/errors.ts';

// As long as a job id gets: a 40-character slug and a 20-digit digest.
const LONGEST_JOB_ID = `${'a'.repeat(40)}-${'0'.repeat(20)}`;

describe('how many chunks one execution carries', () => {
  it('fits the most chunk tasks it allows, with a realistic rest of the plan, within 256 KiB', () => {
    const most = mostChunkTasks(LONGEST_JOB_ID);
    const plan = SplitResult.parse({
      jobId: LONGEST_JOB_ID,
      source: { bucket: 'fanout-input', key: `uploads/${'a'.repeat(900)}.mp4`, size: 5 * 1024 ** 3, etag: '0'.repeat(32), mediaType: 'video', format: 'mp4', durationSeconds: 1e4, width: 1920, height: 1080, frameRate: 30, frameCount: 3e5, videoCodec: 'h264', audioCodec: 'aac' },
      startedAt: '2026-11-23T00:00:00.000Z',
      splitMs: 123_456,
      outcome: 'accepted',
      fanOut: 'distributed',
      chunkTasks: Array.from({ length: most }, (_, index) => ({ kind: 'chunk', jobId: LONGEST_JOB_ID, index: 9_000_000 + index })),
      audioTasks: [{ kind: 'audio', jobId: LONGEST_JOB_ID }],
      imageTasks: Array.from({ length: 7 }, (_, index) => ({ jobId: LONGEST_JOB_ID, source: { bucket: 'fanout-work', key: `${LONGEST_JOB_ID}/stills/thumbnail-${index}.png` }, role: 'thumbnail', ordinal: index + 1, width: 1280, formats: ['avif', 'webp', 'jpeg'] })),
    });
    expect(Buffer.byteLength(JSON.stringify(plan))).toBeLessThanOrEqual(EXECUTION_INPUT_LIMIT_BYTES);
    // and it is not timid: within 15% of what the limit would take with nothing else in the plan
    expect(most).toBeGreaterThan(0.85 * (EXECUTION_INPUT_LIMIT_BYTES / Buffer.byteLength(JSON.stringify(plan.chunkTasks[0]))));
  });

  it('refuses a video whose chunks would not fit, with DURATION_EXCEEDED naming the bound', () => {
    const most = mostChunkTasks(LONGEST_JOB_ID);
    expect(() => checkExecutionInputFits({ jobId: LONGEST_JOB_ID, durationSeconds: most * 4, chunkSeconds: 4 })).not.toThrow();
    const refuse = () => checkExecutionInputFits({ jobId: LONGEST_JOB_ID, durationSeconds: most * 4 + 1, chunkSeconds: 4 });
    expect(refuse).toThrow(InputRejectedError);
    expect(refuse).toThrow(new RegExp(`^DURATION_EXCEEDED: \\d+ s long: ${most + 1} chunks of 4 s, and one execution's 256 KiB input carries at most ${most} \\(${most * 4} s\\)$`));
  });

  it('lets a long video through in longer chunks', () => {
    expect(() => checkExecutionInputFits({ jobId: LONGEST_JOB_ID, durationSeconds: 4 * 3600, chunkSeconds: 4 })).toThrow(InputRejectedError);
    expect(() => checkExecutionInputFits({ jobId: LONGEST_JOB_ID, durationSeconds: 4 * 3600, chunkSeconds: 8 })).not.toThrow();
  });
});
