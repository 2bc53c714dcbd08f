/**
 * The local function host's queue, with real worker processes: when invocations wait for a
 * worker, those nearest the end of a job run first, and equal ones in the order they came.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionName } from '../../infra/cdk/fanout-function.ts';
import { type FunctionHost, startFunctionHost } from '../../infra/local/function-host.ts';

let workDir: string;
let host: FunctionHost;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-function-host-'));
  const handlerPath = join(workDir, 'echo-handler.mjs');
  // Holds its worker for event.holdMs, then answers with the event's label, or with what its context says.
  await writeFile(
    handlerPath,
    [
      'export const handler = async (event, context) => {',
      '  await new Promise((r) => setTimeout(r, event.holdMs ?? 0));',
      '  if (event.label === "context") return { name: context.functionName, memory: context.memoryLimitInMB, remainingMs: context.getRemainingTimeInMillis(), id: context.awsRequestId };',
      '  return event.label;',
      '};',
    ].join('\n'),
  );
  const names: FunctionName[] = ['splitter', 'encoder', 'image-resize', 'assembler'];
  host = await startFunctionHost({
    functions: names.map((name) => ({ name, arn: `arn:aws:lambda:local:000000000000:function:${name}`, handlerPath, environment: {}, timeoutSeconds: 30, memoryMiB: 128 })),
    runtimeEnvironment: {},
    tmpRoot: join(workDir, 'tmp'),
    concurrency: 1,
  });
});
afterAll(async () => {
  await host?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('the local function host', () => {
  it('runs waiting invocations nearest the end of a job first, and equal ones in order', async () => {
    const finished: string[] = [];
    const invoke = (name: FunctionName, label: string, holdMs = 0) =>
      host.invoke(name, { label, holdMs }).then((result) => {
        finished.push(result as string);
      });

    // One worker, held long enough for every later invocation to be queued behind it.
    const running = invoke('encoder', 'running encode', 1000);
    await Promise.all([
      running,
      invoke('splitter', 'new upload 1'),
      invoke('encoder', 'chunk'),
      invoke('image-resize', 'still'),
      invoke('splitter', 'new upload 2'),
      invoke('assembler', 'assemble'),
    ]);

    expect(finished).toEqual(['running encode', 'assemble', 'still', 'chunk', 'new upload 1', 'new upload 2']);
    expect(host.stats()).toMatchObject({ splitter: { invocations: 2, errors: 0 }, assembler: { invocations: 1, errors: 0 } });
  });

  it('tells the caller when a worker begins its invocation, after its wait in the queue', async () => {
    const starts: Record<string, number> = {};
    const onStart = (label: string) => (startMs: number) => {
      starts[label] = startMs;
    };
    const calledAt = Date.now();

    const first = host.invoke('encoder', { label: 'first', holdMs: 500 }, { onStart: onStart('first') });
    const second = host.invoke('encoder', { label: 'second' }, { onStart: onStart('second') });
    await first;
    const firstEndedAt = Date.now();
    await second;

    expect(starts['first']).toBeGreaterThanOrEqual(calledAt);
    expect((starts['first'] ?? 0) - calledAt).toBeLessThan(500);
    // One worker: the second waited for the first to finish.
    expect(starts['second']).toBeGreaterThanOrEqual((starts['first'] ?? Infinity) + 500);
    expect(starts['second']).toBeLessThanOrEqual(firstEndedAt);
  });

  it('hands each handler a context that counts down to the function\'s timeout, as Lambda does', async () => {
    const first = (await host.invoke('splitter', { label: 'context', holdMs: 2000 })) as { name: string; memory: string; remainingMs: number; id: string };
    const second = (await host.invoke('splitter', { label: 'context' })) as typeof first;
    expect(first).toMatchObject({ name: 'splitter', memory: '128' });
    // 30 s timeout, 2 s spent before asking.
    expect(first.remainingMs).toBeLessThanOrEqual(28_000);
    expect(first.remainingMs).toBeGreaterThan(0);
    expect(second.remainingMs).toBeGreaterThan(first.remainingMs);
    expect(second.id).not.toBe(first.id);
  });
});
