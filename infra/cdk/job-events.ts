/**
 * Job events on AWS: the finalizer puts each job's lifecycle event (shared/contracts/job-event.ts)
 * on a bus of this stack's own, where any AWS consumer may add rules. One rule sends them to a
 * queue that the webhook-delivery function drains: each event is POSTed, signed, to the
 * configured URLs; a failed delivery comes back after a backoff (the function sets the message's
 * visibility) with the same webhook-id, and after MAX_DELIVERY_RECEIVES the queue moves it to its
 * dead-letter queue. A custom bus, a rule and queues cost nothing at rest; the event source's
 * pollers make requests while idle, inside SQS's free tier (docs/aws.md).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { EventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_EVENT_SOURCE } from '../../shared/contracts/job-event.ts';

/** Deliveries of one event before it is given up on: with the function's backoff, about a day of retries. */
export const MAX_DELIVERY_RECEIVES = 8;
/** How many events one invocation delivers; each URL gets one attempt per event, bounded by WEBHOOK_TIMEOUT_MS. */
export const DELIVERY_BATCH_SIZE = 5;
/** SQS keeps a message (and a dead letter) this long at most. */
export const EVENT_RETENTION = Duration.days(14);

export interface JobEventsProps {
  /** The webhook-delivery function (outside the VPC: it calls the receivers). */
  delivery: LambdaFunction;
  deliveryTimeout: Duration;
  /** Who puts job events on the bus: the finalizer. */
  publishers: LambdaFunction[];
  /** URLs to POST every job event to, comma-separated; empty delivers nowhere. */
  webhookUrls: string;
  /** The SSM SecureString parameter holding the `whsec_…` secret, created by the deployer. */
  webhookSecretParameter: string;
  /** Where EventBridge keeps an event it could not put on the delivery queue. */
  ruleDeadLetters: IQueue;
}

export class JobEvents extends Construct {
  readonly bus: EventBus;
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: JobEventsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bus = new EventBus(this, 'Bus', { eventBusName: `${stack.stackName}-jobs`, description: 'Fanout job lifecycle events (source fanout, detail-type job.*)' });
    for (const publisher of props.publishers) {
      this.bus.grantPutEventsTo(publisher);
      publisher.addEnvironment('EVENT_BUS_NAME', this.bus.eventBusName);
    }

    const queueDefaults = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: EVENT_RETENTION };
    this.deadLetters = new Queue(this, 'WebhookDeadLetters', queueDefaults);
    this.queue = new Queue(this, 'WebhookDeliveries', {
      ...queueDefaults,
      // Lambda's guidance: six times the function's timeout, so a batch still being delivered is not handed out again.
      visibilityTimeout: Duration.seconds(props.deliveryTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_DELIVERY_RECEIVES },
    });

    this.rule = new Rule(this, 'ToWebhooks', {
      description: 'Every job event to the webhook delivery queue',
      eventBus: this.bus,
      eventPattern: { source: [JOB_EVENT_SOURCE], detailType: Match.prefix('job.') },
      // EventBridge retries for 24 hours (its default) before the stack's dead-letter queue.
      targets: [new SqsQueue(this.queue, { deadLetterQueue: props.ruleDeadLetters })],
    });

    const delivery = props.delivery;
    delivery.addEnvironment('WEBHOOK_URLS', props.webhookUrls);
    delivery.addEnvironment('WEBHOOK_SECRET_PARAMETER', props.webhookSecretParameter);
    delivery.addEnvironment('WEBHOOK_QUEUE_URL', this.queue.queueUrl);
    // Receive, delete and change visibility (the backoff) on this queue: the event source's grant.
    delivery.addEventSource(new SqsEventSource(this.queue, { batchSize: DELIVERY_BATCH_SIZE, reportBatchItemFailures: true }));
    delivery.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['ssm:GetParameter'], resources: [parameterArn(stack, props.webhookSecretParameter)] }));
  }
}

/** An SSM parameter's ARN from its name (`/fanout/webhook-secret` or `fanout-webhook-secret`). */
export function parameterArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') });
}
