/**
 * Every error a port meets is mapped into the taxonomy there, so the state machine's Retry sees
 * a name it matches: an SDK error of each kind becomes the right taxonomy error.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, InvalidArn, SFNServiceException } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { InputRejectedError, InternalError, TransientError, type FanoutError } from '../../shared/errors.ts';
import { sdkErrorKind } from '../../shared/sdk-error-kind.ts';
import { storageError } from '../../shared/storage/s3-object-store.ts';
import { sfnJobStarter } from '../../shared/workflow.ts';

const s3Error = (name: string, status: number) => new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9000`), { code });
const ref = { bucket: 'in', key: 'clip.mp4' };

describe('the storage port maps SDK errors into the taxonomy', () => {
  it.each<[string, unknown, new (...args: never[]) => FanoutError, string]>([
    ['a missing object', s3Error('NoSuchKey', 404), InputRejectedError, 'SOURCE_NOT_FOUND'],
    ['an object replaced since its event (If-Match failed)', s3Error('PreconditionFailed', 412), InputRejectedError, 'SOURCE_NOT_FOUND'],
    ['a refused connection (the store is down)', socketError('ECONNREFUSED'), TransientError, 'STORAGE_UNAVAILABLE'],
    ['a reset connection', socketError('ECONNRESET'), TransientError, 'STORAGE_UNAVAILABLE'],
    ['a 503 Slow Down', s3Error('SlowDown', 503), TransientError, 'STORAGE_UNAVAILABLE'],
    ['a 500', s3Error('InternalError', 500), TransientError, 'STORAGE_UNAVAILABLE'],
    ['access denied (this deployment\'s grants)', s3Error('AccessDenied', 403), InternalError, 'STORAGE_UNAVAILABLE'],
    ['a missing bucket (the deployment\'s fault, not the upload\'s)', s3Error('NoSuchBucket', 404), InternalError, 'STORAGE_UNAVAILABLE'],
    ['a 429', s3Error('TooManyRequests', 429), TransientError, 'STORAGE_UNAVAILABLE'],
    ['an error the SDK marks retryable', Object.assign(s3Error('Odd', 400), { $retryable: { throttling: true } }), TransientError, 'STORAGE_UNAVAILABLE'],
  ])('%s', (_, error, type, code) => {
    const mapped = storageError(error, ref);
    expect(mapped).toBeInstanceOf(type);
    expect((mapped as FanoutError).code).toBe(code);
    expect(mapped.message).toContain('s3://in/clip.mp4');
  });

  it('passes a taxonomy error through as it is', () => {
    const own = new InternalError('INTERNAL', 'ours');
    expect(storageError(own, ref)).toBe(own);
  });
});

describe('the workflow port maps Step Functions errors into the taxonomy', () => {
  const starterFailingWith = (error: unknown) => sfnJobStarter({ send: async () => Promise.reject(error) }, 'arn:aws:states:us-east-1:1:stateMachine:p');

  it('answers duplicate for a name already used', async () => {
    await expect(starterFailingWith(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} })).start('job', {})).resolves.toBe('duplicate');
  });

  it.each<[string, unknown, new (...args: never[]) => FanoutError]>([
    ['throttling', new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }), TransientError],
    ['the endpoint down', socketError('ECONNREFUSED'), TransientError],
    ['a 500', new SFNServiceException({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'oops' }), TransientError],
    ['a wrong state machine ARN', new InvalidArn({ message: 'Invalid Arn', $metadata: { httpStatusCode: 400 } }), InternalError],
  ])('%s', async (_, error, type) => {
    const failure = await starterFailingWith(error).start('job', {}).catch((thrown: unknown) => thrown);
    expect(failure).toBeInstanceOf(type);
    expect((failure as FanoutError).code).toBe('WORKFLOW_UNAVAILABLE');
  });
});

describe('sdkErrorKind', () => {
  it('reads a socket error anywhere in the cause chain', () => {
    expect(sdkErrorKind(new Error('request failed', { cause: socketError('ECONNRESET') }))).toBe('transient');
    expect(sdkErrorKind(new Error('bad request'))).toBe('permanent');
  });
});
