/**
 * Hands an upload event to the starter the way S3 invokes a Lambda asynchronously: a failed
 * invocation is retried twice with backoff before the delivery reports failure. The receiver
 * has acknowledged the event by then (MinIO sends its queued events one at a time, and waiting
 * for a worker would serialise uploads), so what still fails is picked up by the reconcile pass
 * at the next start: the local stand-in for the starter's dead-letter queue.
 *
 * The same upload may be announced twice at nearly the same time (MinIO's immediate and queued
 * targets): a delivery already in flight for that upload is joined, not repeated. Later
 * duplicates meet the starter's own check (the execution name is the job id).
 */
import pRetry from 'p-retry';
import { uploadsIn } from '../../shared/contracts/upload-event.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import type { FunctionHost } from './function-host.ts';

export type DeliverUploadEvent = (event: unknown) => Promise<void>;

export function uploadDelivery({ host, starter, onError }: { host: FunctionHost; starter: string; onError?: (error: unknown) => void }): DeliverUploadEvent {
  const inFlight = new Map<string, Promise<void>>();
  const deliver = async (event: unknown) => {
    try {
      await pRetry(() => host.invoke(starter, event), { retries: 2, minTimeout: 500, factor: 2 });
    } catch (error) {
      onError?.(error);
      throw error;
    }
  };
  return (event) => {
    const identity = identityOf(event);
    const running = inFlight.get(identity);
    if (running) return running;
    const delivery = deliver(event).finally(() => inFlight.delete(identity));
    inFlight.set(identity, delivery);
    return delivery;
  };
}

/** The uploads an event announces, as job ids; a malformed event is its own identity (the starter rejects it). */
function identityOf(event: unknown): string {
  try {
    return uploadsIn(event).map(jobIdFor).sort().join(',');
  } catch {
    return JSON.stringify(event);
  }
}
