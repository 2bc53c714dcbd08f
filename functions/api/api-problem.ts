/** The API's own errors: an HTTP status and a stable code from the contract's ApiErrorCode. */
import type { ApiErrorCode } from '../../shared/contracts/api.ts';

export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  readonly status: 400 | 401 | 404 | 409 | 413 | 500 | 503;
  readonly code: ApiErrorCode;

  constructor(status: ApiProblem['status'], code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}
