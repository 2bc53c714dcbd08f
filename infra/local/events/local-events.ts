/**
 * Job events on the local host, as on AWS: the finalizer puts them on "the bus" through the
 * EventBridge API (this host's endpoint), and the events with source `fanout` go where AWS's
 * rule sends them, to webhook delivery. The recent ones are kept in memory for local readers
 * (the dashboard); events from any other source are taken and dropped, as a bus without a
 * matching rule does.
 */
import { join } from 'node:path';
import { JOB_EVENT_SOURCE, JobEvent } from '../../../shared/contracts/job-event.ts';
import { startEventBridgeEndpoint } from './event-bridge-endpoint.ts';
import { webhookDispatcher, type WebhookDeliveryOptions, type WebhookTarget } from './webhook-dispatcher.ts';

export type { WebhookDeliveryOptions, WebhookTarget } from './webhook-dispatcher.ts';

export const WEBHOOK_DEAD_LETTERS_FILE = 'webhook-dead-letters.jsonl';
/** Kept in memory, newest last; older ones are in the webhooks' receivers and the manifests. */
const RECENT_EVENTS = 1000;

export interface LocalEvents {
  /** For AWS_ENDPOINT_URL_EVENTBRIDGE. */
  endpoint: string;
  /** The recent job events, oldest first. */
  jobEvents(): JobEvent[];
  /** Resolves when every webhook delivery has been delivered or dead-lettered. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalEvents({ stateDir, port, webhooks = [], delivery, log = () => {} }: { stateDir: string; port?: number; webhooks?: WebhookTarget[]; delivery?: WebhookDeliveryOptions; log?: (line: string) => void }): Promise<LocalEvents> {
  const recent: JobEvent[] = [];
  const dispatcher = webhookDispatcher({ webhooks, deadLetterFile: join(stateDir, WEBHOOK_DEAD_LETTERS_FILE), delivery, log });
  const endpoint = await startEventBridgeEndpoint({
    port,
    onEvent(entry) {
      if (entry.Source !== JOB_EVENT_SOURCE) return;
      const event = JobEvent.safeParse(safeJson(entry.Detail));
      if (!event.success) {
        log(`events: a ${entry.DetailType} event from ${entry.Source} is not a job event; dropped`);
        return;
      }
      recent.push(event.data);
      if (recent.length > RECENT_EVENTS) recent.shift();
      dispatcher.dispatch(event.data);
    },
  });
  return {
    endpoint: endpoint.endpoint,
    jobEvents: () => [...recent],
    idle: () => dispatcher.idle(),
    async close() {
      await endpoint.close();
      await dispatcher.close();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
