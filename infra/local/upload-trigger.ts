/**
 * Hands an upload event to the splitter the way S3 invokes a Lambda asynchronously: a failed
 * invocation is retried twice with backoff before the delivery reports failure (on the MinIO
 * webhook path, a failure leaves the event in MinIO's queue for a later redelivery).
 */
import pRetry from 'p-retry';
import type { FunctionHost } from './function-host.ts';

export type DeliverUploadEvent = (event: unknown) => Promise<void>;

export function uploadDelivery({ host, splitter, onError }: { host: FunctionHost; splitter: string; onError?: (error: unknown) => void }): DeliverUploadEvent {
  return async (event) => {
    try {
      await pRetry(() => host.invoke(splitter, event), { retries: 2, minTimeout: 500, factor: 2 });
    } catch (error) {
      onError?.(error);
      throw error;
    }
  };
}
