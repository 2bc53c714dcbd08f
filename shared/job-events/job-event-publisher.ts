/**
 * Where the finalizer announces a job's events: a one-method port, with one binding, the
 * EventBridge API (the stack's bus on AWS, the local host's endpoint locally, reached the same
 * way through AWS_ENDPOINT_URL_EVENTBRIDGE). Without EVENT_BUS_NAME there is no publisher.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Connection } from '../aws-clients.ts';
import type { JobEventsEnv } from '../config.ts';
import { JOB_EVENT_SOURCE, type JobEvent } from '../contracts/job-event.ts';
import { FanoutError, InternalError, TransientError } from '../errors.ts';
import { sdkErrorKind } from '../sdk-error-kind.ts';
import type { z } from 'zod';

export interface JobEventPublisher {
  publish(event: JobEvent): Promise<void>;
}

export function eventBridgePublisher({ client, eventBusName }: { client: Pick<EventBridgeClient, 'send'>; eventBusName: string }): JobEventPublisher {
  return {
    async publish(event) {
      const put = new PutEventsCommand({
        Entries: [{ EventBusName: eventBusName, Source: JOB_EVENT_SOURCE, DetailType: event.type, Detail: JSON.stringify(event), Time: new Date(event.timestamp) }],
      });
      let failed: { ErrorCode?: string; ErrorMessage?: string } | undefined;
      try {
        const result = await client.send(put);
        failed = (result.FailedEntryCount ?? 0) > 0 ? (result.Entries?.[0] ?? {}) : undefined;
      } catch (error) {
        throw eventsError(error, `publishing ${event.id} to ${eventBusName}`);
      }
      // PutEvents answers 200 with per-entry failures (throttling, an internal failure): worth a retry.
      if (failed) throw new TransientError('EVENTS_UNAVAILABLE', `publishing ${event.id} to ${eventBusName}: ${failed.ErrorCode ?? 'failed'}: ${failed.ErrorMessage ?? ''}`);
    },
  };
}

/** The publisher the environment asks for, or none when EVENT_BUS_NAME is unset. */
export function jobEventPublisherFrom(config: z.infer<typeof JobEventsEnv>, connection: Connection = {}): JobEventPublisher | undefined {
  if (!config.EVENT_BUS_NAME) return undefined;
  const client = new EventBridgeClient({ ...connection, ...(config.AWS_ENDPOINT_URL_EVENTBRIDGE ? { endpoint: config.AWS_ENDPOINT_URL_EVENTBRIDGE } : {}) });
  return eventBridgePublisher({ client, eventBusName: config.EVENT_BUS_NAME });
}

function eventsError(error: unknown, doing: string): Error {
  if (error instanceof FanoutError) return error;
  const detail = `${doing}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  if (sdkErrorKind(error) === 'transient') return new TransientError('EVENTS_UNAVAILABLE', detail, { cause: error });
  return new InternalError('EVENTS_UNAVAILABLE', detail, { cause: error });
}
