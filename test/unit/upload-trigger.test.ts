import { describe, expect, it } from 'vitest';
import { s3EventFor } from '../../shared/contracts/upload-event.ts';
import type { FunctionHost } from '../../infra/local/function-host.ts';
import { uploadDelivery } from '../../infra/local/upload-trigger.ts';

/** A function host whose splitter invocations the test settles by hand. */
function controlledHost() {
  const calls: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  const host: FunctionHost = {
    invoke: () => new Promise((resolve, reject) => calls.push({ resolve: () => resolve(null), reject })),
    invocations: () => [],
    stats: () => ({}),
    close: async () => {},
  };
  return { host, calls };
}

const event = (key: string) => s3EventFor({ bucket: 'in', key, size: 1, etag: 'e' });
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('uploadDelivery', () => {
  it('joins a delivery already in flight for the same upload instead of splitting it twice', async () => {
    const { host, calls } = controlledHost();
    const deliver = uploadDelivery({ host, starter: 'splitter' });

    const first = deliver(event('a.mp4'));
    const second = deliver(event('a.mp4'));
    const other = deliver(event('b.mp4'));
    await tick();
    expect(calls).toHaveLength(2);

    calls.forEach((call) => call.resolve());
    await Promise.all([first, second, other]);
    void deliver(event('a.mp4'));
    await tick();
    expect(calls).toHaveLength(3);
  });

  it('retries a failed invocation twice, then reports the failure', async () => {
    const { host, calls } = controlledHost();
    const errors: unknown[] = [];
    const delivery = uploadDelivery({ host, starter: 'splitter', onError: (error) => errors.push(error) })(event('c.mp4'));
    for (let attempt = 0; attempt < 3; attempt++) {
      while (calls.length <= attempt) await new Promise((resolve) => setTimeout(resolve, 20));
      calls[attempt]!.reject(new Error(`attempt ${attempt + 1} failed`));
    }
    await expect(delivery).rejects.toThrow('attempt 3 failed');
    expect(errors).toHaveLength(1);
  });
});
