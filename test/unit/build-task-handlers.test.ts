import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES, buildTaskHandlers, type AttemptListener, type TaskInvoker } from '../../infra/local/step-functions/build-task-handlers.ts';

const ENCODER = 'arn:aws:lambda:us-east-1:0:function:encoder';

function handlerFor(resource: string, invokeTask: TaskInvoker, stopped = new AbortController().signal, beginAttempt: AttemptListener = () => () => {}) {
  const handlers = buildTaskHandlers({ taskResources: new Map([['Encode', resource]]), invokeTask, stopped, track: () => {}, beginAttempt });
  const handler = handlers['Encode'];
  if (handler === undefined) throw new Error('no handler for Encode');
  return handler;
}

async function rejectionOf(promise: unknown): Promise<Error & { isRetryable?: boolean }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a rejection');
}

describe('buildTaskHandlers', () => {
  it("fills in the retry count that aws-local-stepfunctions keeps no $$.State.RetryCount for: the tries of one task so far", async () => {
    const seen: unknown[] = [];
    const handler = handlerFor(ENCODER, async (_, input) => {
      seen.push(input);
      return {};
    });

    await handler({ task: { index: 1 }, retryCount: 0 });
    await handler({ task: { index: 2 }, retryCount: 0 });
    await handler({ task: { index: 1 }, retryCount: 0 });
    await handler({ key: 'not an attempt payload' });

    expect(seen).toEqual([
      { task: { index: 1 }, retryCount: 0 },
      { task: { index: 2 }, retryCount: 0 },
      { task: { index: 1 }, retryCount: 1 },
      { key: 'not an attempt payload' },
    ]);
  });

  it('calls the function ARN with the state input and returns a JSON copy of its result', async () => {
    const calls: Array<[string, unknown]> = [];
    const handler = handlerFor(ENCODER, async (resource, input) => {
      calls.push([resource, input]);
      return { at: new Date(0), nothing: undefined };
    });

    const output = await handler({ key: 'chunk-0' });

    expect(calls).toEqual([[ENCODER, { key: 'chunk-0' }]]);
    expect(output).toEqual({ at: '1970-01-01T00:00:00.000Z' });
  });

  it('unwraps lambda:invoke to FunctionName + Payload and wraps the result as AWS does', async () => {
    const calls: Array<[string, unknown]> = [];
    const handler = handlerFor('arn:aws:states:::lambda:invoke', async (resource, input) => {
      calls.push([resource, input]);
      return { ok: true };
    });

    const output = await handler({ FunctionName: ENCODER, Payload: { key: 'k' } });

    expect(calls).toEqual([[ENCODER, { key: 'k' }]]);
    expect(output).toMatchObject({ Payload: { ok: true }, StatusCode: 200, ExecutedVersion: '$LATEST' });
  });

  it('passes on the name and message of what the function throws, and nothing else', async () => {
    const cause = new Error('root');
    const thrown = Object.assign(new Error('TRANSIENT: later', { cause }), { name: 'TransientError', retryable: true });

    const error = await rejectionOf(handlerFor(ENCODER, () => Promise.reject(thrown))({}));
    const fromString = await rejectionOf(handlerFor(ENCODER, () => Promise.reject('plain string'))({}));

    expect({ name: error.name, message: error.message, cause: error.cause }).toEqual({ name: 'TransientError', message: 'TRANSIENT: later', cause: undefined });
    expect({ name: fromString.name, message: fromString.message }).toEqual({ name: 'Error', message: 'plain string' });
  });

  it('fails a result over 256 KiB with States.DataLimitExceeded, which no Retry matches', async () => {
    const handler = handlerFor(ENCODER, async () => ({ bytes: 'x'.repeat(MAX_PAYLOAD_BYTES) }));

    const error = await rejectionOf(handler({}));

    expect(error.name).toBe('States.DataLimitExceeded');
    expect(error.isRetryable).toBe(false);
  });

  it("begins an attempt on every call, stopped ones too, and hands the invoker that attempt's start", async () => {
    const stop = new AbortController();
    const attempts: Array<{ state: string; startMs?: number }> = [];
    const beginAttempt: AttemptListener = (state) => {
      const attempt: { state: string; startMs?: number } = { state };
      attempts.push(attempt);
      return (startMs) => {
        attempt.startMs = startMs;
      };
    };
    const handler = handlerFor(
      'arn:aws:states:::lambda:invoke',
      async (_, __, { onStart }) => {
        onStart(1_234);
        return {};
      },
      stop.signal,
      beginAttempt,
    );

    await handler({ FunctionName: ENCODER, Payload: {} });
    stop.abort();
    await rejectionOf(handler({ FunctionName: ENCODER, Payload: {} }));

    // The library logged both attempts before calling the handler: both are paired, only the first ran.
    expect(attempts).toEqual([{ state: 'Encode', startMs: 1_234 }, { state: 'Encode' }]);
  });

  it('settles a Task in flight when its execution stops, and starts none afterwards', async () => {
    const stop = new AbortController();
    let invocations = 0;
    const handler = handlerFor(ENCODER, () => {
      invocations++;
      return new Promise(() => {});
    }, stop.signal);

    const inFlight = handler({});
    stop.abort();
    const settled = await rejectionOf(inFlight);
    const later = await rejectionOf(handler({}));

    expect(settled.name).toBe('States.Runtime');
    expect(later.name).toBe('States.Runtime');
    expect(invocations).toBe(1);
  });
});
