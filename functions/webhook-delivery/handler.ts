/** Lambda entry: a batch of queued job events in; signed webhooks out, the failed messages reported for a later retry. */
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { loadConfig, WebhookDeliveryEnv } from '../../shared/config.ts';
import { parseEvent } from '../../shared/contracts/parse-event.ts';
import { createObservability, instrumented } from '../../shared/observability.ts';
import { isWebhookSecret } from '../../shared/webhooks/sign-webhook.ts';
import { deliverQueuedEvents, SqsBatch } from './deliver-queued-events.ts';

const config = loadConfig(WebhookDeliveryEnv);
const sqs = new SQSClient({});
const ssm = new SSMClient({});
const observability = createObservability('webhook-delivery', config);
const { logger } = observability;
if (config.WEBHOOK_URLS.length === 0) logger.info('WEBHOOK_URLS is empty: events are taken off the queue and delivered nowhere');

/** Read once per cold start; a failed read is tried again by the next invocation. */
let secret: Promise<string> | undefined;
function signingSecret(): Promise<string> {
  secret ??= readSecret().catch((error: unknown) => {
    secret = undefined;
    throw error;
  });
  return secret;
}

async function readSecret(): Promise<string> {
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: config.WEBHOOK_SECRET_PARAMETER, WithDecryption: true }));
  const value = Parameter?.Value ?? '';
  if (!isWebhookSecret(value)) throw new Error(`${config.WEBHOOK_SECRET_PARAMETER} does not hold a whsec_… secret`);
  return value;
}

export const handler = instrumented(observability, async (event) => {
  const batch = parseEvent(SqsBatch, event, 'an SQS batch');
  return deliverQueuedEvents(batch, {
    urls: config.WEBHOOK_URLS,
    secret: signingSecret,
    queue: {
      async changeVisibility(receiptHandle, seconds) {
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: config.WEBHOOK_QUEUE_URL, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
      },
    },
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    log: (message, fields) => logger.warn(message, fields),
  });
});
