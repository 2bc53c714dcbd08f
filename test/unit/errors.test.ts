import { describe, expect, it } from 'vitest';
import { InputRejectedError, TransientError, parseTaskFailure, toLambdaErrorPayload } from '../../shared/errors.ts';

describe('error taxonomy', () => {
  it('names errors the way the state machine matches them and keeps the code in the message', () => {
    const rejected = new InputRejectedError('PIXEL_LIMIT_EXCEEDED', 'too many pixels');
    expect(rejected.name).toBe('InputRejected');
    expect(rejected.retryable).toBe(false);
    expect(rejected.message).toBe('PIXEL_LIMIT_EXCEEDED: too many pixels');
    expect(new TransientError('STORAGE_UNAVAILABLE', 'x').retryable).toBe(true);
  });

  it('reads the code back from a Lambda error payload caught by Step Functions', () => {
    const cause = JSON.stringify(toLambdaErrorPayload(new InputRejectedError('CORRUPT_INPUT', 'truncated: premature end')));
    expect(parseTaskFailure({ Error: 'InputRejected', Cause: cause })).toEqual({ code: 'CORRUPT_INPUT', message: 'truncated: premature end', rejected: true });
  });

  it('treats a coded transient error that exhausted its retries as a failure, not a rejection', () => {
    const cause = JSON.stringify(toLambdaErrorPayload(new TransientError('STORAGE_UNAVAILABLE', '503')));
    expect(parseTaskFailure({ Error: 'TransientError', Cause: cause })).toMatchObject({ code: 'STORAGE_UNAVAILABLE', rejected: false });
  });

  it.each([
    [{ Error: 'States.Timeout', Cause: 'timed out' }, 'TASK_TIMED_OUT'],
    [{ Error: 'Sandbox.Timedout', Cause: '{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 3 seconds"}' }, 'TASK_TIMED_OUT'],
    [{ Error: 'Runtime.ExitError', Cause: 'exited' }, 'WORKER_CRASHED'],
    [{ Error: 'TypeError', Cause: '{"errorType":"TypeError","errorMessage":"x is undefined"}' }, 'INTERNAL'],
    [{}, 'INTERNAL'],
  ])('maps runtime error %j to %s', (failure, code) => {
    expect(parseTaskFailure(failure)).toMatchObject({ code, rejected: false });
  });
});
