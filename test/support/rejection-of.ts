import { expect } from 'vitest';
import { InputRejectedError } from '../../shared/errors.ts';

/** What a rejected promise was rejected with; fails the test if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Asserts the promise rejects with an InputRejectedError of this code; returns the error. */
export async function expectRejected(promise: Promise<unknown>, code: string): Promise<InputRejectedError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(InputRejectedError);
  if (!(error instanceof InputRejectedError)) throw error;
  expect(error.code).toBe(code);
  return error;
}
