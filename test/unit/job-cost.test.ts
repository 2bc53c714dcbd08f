import { describe, expect, it } from 'vitest';
import { assemblyCost } from '../../functions/assembler/assembly-cost.ts';
import { describeCost } from '../../infra/cli/job-report.ts';
import { JobCost } from '../../shared/contracts/manifest.ts';
import type { AssembleInput, SplitResult } from '../../shared/contracts/work-plan.ts';
import { costFromHistory, countStateTransitions, LIST_PRICES, memoryOf, priceJob, type BilledInvocation } from '../../shared/job-cost.ts';

const GB_SECOND = LIST_PRICES.lambdaGbSecondUsd;
const REQUEST = LIST_PRICES.lambdaRequestUsd;
const TRANSITION = LIST_PRICES.stateTransitionUsd;
const call = (memoryMiB: number, durationMs: number, attempts = 1): BilledInvocation => ({ fn: 'encoder', memoryMiB, durationMs, attempts });

describe('LIST_PRICES', () => {
  it('are the us-east-1 list prices for arm64 Lambda and Standard Step Functions', () => {
    expect(LIST_PRICES).toMatchObject({ region: 'us-east-1', lambdaGbSecondUsd: 0.0000133334 });
    expect(LIST_PRICES.lambdaRequestUsd * 1_000_000).toBeCloseTo(0.2, 12);
    expect(LIST_PRICES.stateTransitionUsd * 1_000).toBeCloseTo(0.025, 12);
  });
});

describe('priceJob', () => {
  it.each([
    { case: 'an empty job costs nothing', invocations: [], transitions: 0, requests: 0, gbSeconds: 0, lambdaUsd: 0, totalUsd: 0 },
    { case: '1 GB for 1 s is one GB-second and one request', invocations: [call(1024, 1000)], transitions: 0, requests: 1, gbSeconds: 1, lambdaUsd: 0.0000135334, totalUsd: 0.0000135334 },
    { case: 'a duration rounds up to the next millisecond', invocations: [call(1024, 0.2)], transitions: 0, requests: 1, gbSeconds: 0.001, lambdaUsd: 0.0000002133334, totalUsd: 0.0000002133334 },
    { case: 'a 999.01 ms run bills 1000 ms', invocations: [call(2048, 999.01)], transitions: 0, requests: 1, gbSeconds: 2, lambdaUsd: 0.0000268668, totalUsd: 0.0000268668 },
    // Two tries of 2 GB: two requests, the failed one at the successful one's duration.
    { case: 'every try is billed', invocations: [call(2048, 500, 2)], transitions: 0, requests: 2, gbSeconds: 2, lambdaUsd: 0.0000270668, totalUsd: 0.0000270668 },
    { case: '1,000 transitions are $0.025', invocations: [], transitions: 1000, requests: 0, gbSeconds: 0, lambdaUsd: 0, totalUsd: 0.025 },
    {
      case: 'a small video job',
      invocations: [call(2048, 1500), call(4096, 3000), call(4096, 2500), call(4096, 1200), call(2048, 300, 2), call(3008, 2000)],
      transitions: 18,
      requests: 7,
      // 3 + 12 + 10 + 4.8 + 1.2 + 5.875
      gbSeconds: 36.875,
      lambdaUsd: 7 * REQUEST + 36.875 * GB_SECOND,
      totalUsd: 7 * REQUEST + 36.875 * GB_SECOND + 18 * TRANSITION,
    },
  ])('$case', ({ invocations, transitions, requests, gbSeconds, lambdaUsd, totalUsd }) => {
    const cost = priceJob({ invocations, transitions, host: 'aws' });
    expect(JobCost.parse(cost)).toEqual(cost);
    expect(cost.lambda).toEqual({ invocations: requests, gbSeconds, usd: expect.closeTo(lambdaUsd, 12) });
    expect(cost.stepFunctions).toEqual({ transitions, usd: expect.closeTo(transitions * TRANSITION, 12) });
    expect(cost.totalUsd).toBeCloseTo(totalUsd, 12);
    expect(cost.prices).toEqual(LIST_PRICES);
  });

  it('says `measured` on AWS and `modelled` on the local host', () => {
    expect(priceJob({ invocations: [], transitions: 0, host: 'aws' }).basis).toBe('measured');
    expect(priceJob({ invocations: [], transitions: 0, host: 'local' }).basis).toBe('modelled');
  });
});

describe('countStateTransitions', () => {
  it.each([
    // Split, Assemble, Job failed?, Failed.
    { case: 'a split that crashed, caught into Assemble', path: { split: 'caught' as const }, transitions: 4 },
    // Split, Accepted?, Assemble, Job failed?, Done.
    { case: 'a rejected upload', path: { split: 'planned' as const, outcome: 'rejected' as const }, transitions: 5 },
    { case: 'a plan the splitter could not finish', path: { split: 'planned' as const, outcome: 'failed' as const }, transitions: 5 },
    // + FanOut, Distributed?, Search CRFs?, NoProbes, EncodeChunks, VideoResults, EncodeAudio, ResizeImages, 4 × ResizeImage.
    { case: 'an image in 4 widths', path: { split: 'planned' as const, outcome: 'accepted' as const, imageTasks: 4 }, transitions: 17 },
    // + FanOut, Distributed?, Search CRFs?, NoProbes, EncodeChunks + 3, VideoResults, EncodeAudio + 1, ResizeImages + 4.
    { case: 'a video of 3 chunks, 1 audio track, a poster and 3 thumbnails', path: { split: 'planned' as const, outcome: 'accepted' as const, chunkTasks: 3, audioTasks: 1, imageTasks: 4 }, transitions: 21 },
    { case: 'the same with 2 retries', path: { split: 'planned' as const, outcome: 'accepted' as const, chunkTasks: 3, audioTasks: 1, imageTasks: 4, retries: 2 }, transitions: 23 },
    // Target mode: ProbeChunks + 3 instead of NoProbes.
    { case: 'the same to a quality target', path: { split: 'planned' as const, outcome: 'accepted' as const, probeTasks: 3, chunkTasks: 3, audioTasks: 1, imageTasks: 4 }, transitions: 24 },
    // The chunks run in Express child executions: Search CRFs? (distributed), NoProbeTimings, EncodeChunksDistributed, NoChunkTimings and VideoResults only.
    { case: 'a distributed fan-out of 2,000 chunks', path: { split: 'planned' as const, outcome: 'accepted' as const, fanOut: 'distributed' as const, chunkTasks: 2000, audioTasks: 1, imageTasks: 4 }, transitions: 19 },
    { case: 'the same to a quality target', path: { split: 'planned' as const, outcome: 'accepted' as const, fanOut: 'distributed' as const, probeTasks: 2000, chunkTasks: 2000, audioTasks: 1, imageTasks: 4 }, transitions: 20 },
  ])('$case: $transitions', ({ path, transitions }) => {
    expect(countStateTransitions(path)).toBe(transitions);
  });
});

describe('assemblyCost', () => {
  const upload = { bucket: 'in', key: 'talk.mp4', size: 1000 };
  const started = { jobId: 'talk-0123', upload, receivedAt: '2026-01-01T00:00:00.000Z' };
  const plan: SplitResult = {
    jobId: 'talk-0123',
    source: { ...upload, mediaType: 'video' },
    startedAt: '2026-01-01T00:00:00.500Z',
    splitMs: 1500,
    memoryMiB: 2048,
    outcome: 'accepted',
    chunkTasks: [0, 1].map((index) => ({ kind: 'chunk' as const, jobId: 'talk-0123', index })),
    audioTasks: [{ kind: 'audio', jobId: 'talk-0123', track: 0 }],
    imageTasks: [{ jobId: 'talk-0123', source: { bucket: 'work', key: 'poster' }, role: 'poster', width: 640, formats: ['jpeg'] }],
  };
  const input: AssembleInput = {
    ...started,
    plan,
    results: {
      chunkResults: [
        { kind: 'chunk', index: 0, durationMs: 3000, attempts: 1, memoryMiB: 4096 },
        // Retried once: two requests, two durations.
        { kind: 'chunk', index: 1, durationMs: 2500, attempts: 2, memoryMiB: 4096 },
      ],
      audioResults: [{ kind: 'audio', track: 0, durationMs: 1200, attempts: 1, memoryMiB: 4096 }],
      imageResults: [{ width: 640, renditions: [], durationMs: 300, attempts: 1, memoryMiB: 2048 }],
    },
  };

  it('counts the splitter, every try of every task and the assembler, each at the memory it reported', () => {
    const cost = assemblyCost(input, { host: 'local', memoryMiB: 3008, durationMs: 2000 });
    // splitter 3, chunks 12 + 2 × 10, audio 4.8, poster 0.6, assembler 5.875
    expect(cost.lambda).toMatchObject({ invocations: 7, gbSeconds: 46.275 });
    // Split, Accepted?, FanOut, Distributed?, Search CRFs?, NoProbes, EncodeChunks + 2, VideoResults, EncodeAudio + 1, ResizeImages + 1, Assemble, Job failed?, Done; one retry.
    expect(cost.stepFunctions.transitions).toBe(17 + 1);
    expect(cost.basis).toBe('modelled');
    expect(cost.totalUsd).toBeCloseTo(7 * REQUEST + 46.275 * GB_SECOND + 18 * TRANSITION, 12);
  });

  it('counts a rejected upload’s split and assembly only', () => {
    const cost = assemblyCost({ ...started, plan: { ...plan, outcome: 'rejected', chunkTasks: [], audioTasks: [], imageTasks: [] } }, { host: 'aws', memoryMiB: 3008, durationMs: 100 });
    expect(cost.lambda).toMatchObject({ invocations: 2, gbSeconds: 3 + 0.29375 });
    expect(cost.stepFunctions.transitions).toBe(5);
    expect(cost.basis).toBe('measured');
  });

  it('counts a split that crashed as one request it cannot time', () => {
    const cost = assemblyCost({ ...started, failure: { Error: 'Sandbox.Timedout', Cause: 'timed out' } }, { host: 'aws', memoryMiB: 1024, durationMs: 1000 });
    expect(cost.lambda).toMatchObject({ invocations: 2, gbSeconds: 1 });
    expect(cost.stepFunctions.transitions).toBe(4);
  });
});

describe('memoryOf', () => {
  it.each([
    [{ memoryLimitInMB: '3008' }, { memoryMiB: 3008 }],
    [{ memoryLimitInMB: 512 }, { memoryMiB: 512 }],
    [undefined, {}],
    [{ memoryLimitInMB: 'lots' }, {}],
  ])('%j → %j', (context, expected) => {
    expect(memoryOf(context)).toEqual(expected);
  });
});

describe('describeCost', () => {
  it('prints the total, its basis and what it counts', () => {
    const cost = priceJob({ invocations: [call(1024, 41_200)], transitions: 58, host: 'local' });
    expect(describeCost(cost)).toBe('$0.002000 (modelled at us-east-1 list prices: 41.2 GB-s of Lambda in 1 invocation, 58 state transitions)');
  });

  it('keeps a small job’s GB-seconds readable', () => {
    const cost = priceJob({ invocations: [call(2048, 150, 2)], transitions: 14, host: 'aws' });
    expect(describeCost(cost)).toBe('$0.000358 (measured at us-east-1 list prices: 0.600 GB-s of Lambda in 2 invocations, 14 state transitions)');
  });
});

describe('costFromHistory', () => {
  const entered = (type: string) => ({ type: `${type}StateEntered` });
  const exited = (name: string, output: unknown) => ({ type: 'TaskStateExited', stateExitedEventDetails: { name, output: JSON.stringify(output) } });
  const plan = { jobId: 'cat', source: { bucket: 'in', key: 'cat.jpg', size: 1 }, startedAt: '2026-01-01T00:00:00.000Z', splitMs: 1000, memoryMiB: 2048, outcome: 'accepted', imageTasks: [] };
  // An image job whose assembler died past its retries: Split, Accepted?, FanOut, Distributed?, EncodeChunks, EncodeAudio, ResizeImages, 2 × ResizeImage, Assemble.
  const history = [
    { type: 'ExecutionStarted' },
    entered('Task'),
    exited('Split', { jobId: 'cat', plan }),
    entered('Choice'),
    entered('Parallel'),
    entered('Choice'),
    entered('Map'),
    entered('Map'),
    entered('Map'),
    entered('Task'),
    exited('ResizeImage', { width: 320, renditions: [], durationMs: 500, attempts: 1, memoryMiB: 2048 }),
    entered('Task'),
    { type: 'TaskFailed' },
    exited('ResizeImage', { width: 640, renditions: [], durationMs: 250, attempts: 2, memoryMiB: 2048 }),
    // Assemble: it passes the whole state on, the plan in it, but it is not a second split.
    entered('Task'),
    { type: 'TaskFailed' },
    { type: 'ExecutionFailed' },
  ];

  it('counts the states entered and the retries, and the split and every task that returned', () => {
    const cost = costFromHistory(history, 'aws');
    expect(cost.stepFunctions.transitions).toBe(10 + 1);
    // split 2 GB × 1 s, 2 GB × 0.5 s, 2 tries × 2 GB × 0.25 s; and the assembler that never returned: its request, no duration
    expect(cost.lambda).toMatchObject({ invocations: 5, gbSeconds: 4 });
    expect(cost.basis).toBe('measured');
  });

  it('bills the request of a task that was entered and never returned (an execution stopped mid-split)', () => {
    const cost = costFromHistory([{ type: 'ExecutionStarted' }, entered('Task'), { type: 'ExecutionAborted' }], 'local');
    expect(cost).toMatchObject({ basis: 'modelled', lambda: { invocations: 1, gbSeconds: 0 }, stepFunctions: { transitions: 1 } });
    expect(cost.lambda.usd).toBeCloseTo(LIST_PRICES.lambdaRequestUsd, 12);
  });

  it('counts the split once, though every later task passes its plan on', () => {
    const cost = costFromHistory([...history, exited('Assemble', { jobId: 'cat', plan, job: { status: 'failed' } })], 'aws');
    expect(cost.lambda.invocations).toBe(4);
  });
});
