/**
 * The whole pipeline as one stack: three buckets (and one for their access logs), the pipeline's
 * six functions and its state machine, the public surface (the job API, playback through
 * CloudFront, job events and their webhooks), and what keeps them safe and watched. Nothing in
 * it runs or bills by the hour while no upload is being processed (test/infra/idle-cost.test.ts).
 */
import { Annotations, ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { FlowLogDestination, FlowLogTrafficType, GatewayVpcEndpointAwsService, Peer, Port, SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket, EventType, HttpMethods, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';
import { DASHBOARD_PATH } from '../../shared/contracts/dashboard-config.ts';
import { DASHBOARD_PAGE_DIR, DashboardSite } from './dashboard-site.ts';
import { FfmpegImage } from './ffmpeg-image.ts';
import { fanoutFunction, type FunctionName, type FunctionNetwork } from './fanout-function.ts';
import { STACK_OUTPUTS } from './deployed-stack.ts';
import { JobApi } from './job-api.ts';
import { JobEvents, parameterArn } from './job-events.ts';
import { acknowledgeNagFindings } from './nag-suppressions.ts';
import { grantObjectAccess, OBJECT_ACCESS, type ObjectAccess } from './object-access.ts';
import { PipelineStateMachine } from './pipeline-state-machine.ts';
import { PlaybackCdn } from './playback-cdn.ts';
import { readStackContext } from './stack-context.ts';

export const BUCKET_METADATA_KEY = 'fanout:bucket';
export type BucketRole = 'input' | 'renditions' | 'work';

/**
 * Sizing, in one place. Memory buys vCPUs (1,769 MB = 1 vCPU, up to 6 at 10,240 MB), and ffmpeg
 * and sharp use them; /tmp holds what a function downloads and writes.
 */
export const SIZING = {
  // Reads the event and calls StartExecution: nothing else.
  starter: { memoryMiB: 256, timeout: Duration.seconds(30), ephemeralStorageMiB: 512 },
  // Reads the whole upload (MAX_INPUT_BYTES, 5 GiB by default) and cuts it into segments by
  // stream copy: /tmp holds the source and its segments. Cutting is I/O-bound: ~1 vCPU.
  splitter: { memoryMiB: 2048, timeout: Duration.minutes(15), ephemeralStorageMiB: 10240 },
  // One chunk (a few seconds) decoded once, every rung encoded from it: x264 threads use ~2.3 vCPUs.
  encoder: { memoryMiB: 4096, timeout: Duration.minutes(15), ephemeralStorageMiB: 4096 },
  // One width of one picture, three formats; libvips is multi-threaded and decodes in memory.
  'image-resize': { memoryMiB: 2048, timeout: Duration.minutes(2), ephemeralStorageMiB: 512 },
  // One rung at a time: its chunks and MP4, then the MP4 and its HLS package. /tmp at the maximum;
  // the splitter gets this figure and refuses a source whose ladder would not fit (plan-assembly-storage.ts).
  assembler: { memoryMiB: 3008, timeout: Duration.minutes(15), ephemeralStorageMiB: 10240 },
  // One manifest written, a job's leftovers deleted, one event put on the bus.
  finalizer: { memoryMiB: 256, timeout: Duration.minutes(2), ephemeralStorageMiB: 512 },
  // Presigns, lists and reads small JSON (manifests, execution histories); more memory buys the
  // CPU that keeps its latency low. API Gateway waits 30 s at most for it: longer bills for nothing.
  api: { memoryMiB: 512, timeout: Duration.seconds(29), ephemeralStorageMiB: 512 },
  // Up to DELIVERY_BATCH_SIZE events, one POST per event and URL, each bounded by WEBHOOK_TIMEOUT_MS (10 s).
  'webhook-delivery': { memoryMiB: 256, timeout: Duration.minutes(2), ephemeralStorageMiB: 512 },
} satisfies Record<FunctionName, { memoryMiB: number; timeout: Duration; ephemeralStorageMiB: number }>;

/**
 * The functions in isolated subnets: every one that parses untrusted bytes (ffprobe, ffmpeg,
 * libvips) needs nothing but S3, reached through the free gateway endpoint. The starter calls
 * Step Functions, which from isolated subnets would take an interface endpoint billed by the
 * hour: it stays outside, and reads nothing but its event. The finalizer parses only the
 * execution's own JSON.
 */
export const FUNCTIONS_IN_VPC: readonly FunctionName[] = ['splitter', 'encoder', 'image-resize', 'assembler'];

/** How long and how often Lambda retries an asynchronous event (an upload, an execution's end) before the dead-letter queue. */
export const ASYNC_RETRIES = { maxEventAge: Duration.hours(6), retryAttempts: 2 };

/** The execution ends after which no manifest may exist yet: the finalizer writes it. */
/** The largest upload a job accepts: the API refuses to presign more, the splitter rejects more. */
export const MAX_INPUT_BYTES = 5 * 1024 ** 3;

/** Browsers PUT uploads (and their parts) straight into the input bucket: what they may send, and read back. */
export const UPLOAD_CORS = {
  allowedMethods: [HttpMethods.PUT, HttpMethods.HEAD],
  // If-None-Match: the upload URL is signed for one new object (functions/api/uploads.ts).
  allowedHeaders: ['Content-Type', 'Content-Length', 'Content-MD5', 'If-None-Match', 'x-amz-*'],
  // A multipart upload is completed with each part's ETag, which the browser reads from the PUT's response.
  exposedHeaders: ['ETag'],
  maxAge: 3600,
};

export const UNFINISHED_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'];
/** Every status change the finalizer hears: a start and each end become a job event. */
export const JOB_LIFECYCLE_STATUSES = ['RUNNING', 'SUCCEEDED', ...UNFINISHED_EXECUTION_STATUSES];

export interface FanoutStackProps extends StackProps {
  /** The built dashboard, published with context dashboardOidcClientId; read only then. */
  dashboardPageDir?: string;
}

export class FanoutStack extends Stack {
  constructor(scope: Construct, id: string, props: FanoutStackProps = {}) {
    const { dashboardPageDir = DASHBOARD_PAGE_DIR, ...stackProps } = props;
    super(scope, id, stackProps);
    const context = readStackContext(this.node);
    // Log delivery through the logs bucket's policy, not an ACL (ACLs are off: BucketOwnerEnforced).
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    const bucket = (bucketId: string, role: BucketRole, options: { versioned?: boolean; expireAfter?: Duration }) => this.bucket(bucketId, role, accessLogs, options);
    const input = bucket('InputBucket', 'input', { versioned: true });
    // Separate from the input bucket, so writing a rendition never triggers a job.
    const renditions = bucket('RenditionsBucket', 'renditions', {});
    // Cut segments, encoded chunks and stills: deleted by the assembler, expired as a backstop.
    const work = bucket('WorkBucket', 'work', { expireAfter: Duration.days(2) });
    const buckets = { input, renditions, work };
    const bucketNames = { RENDITIONS_BUCKET: renditions.bucketName, WORK_BUCKET: work.bucketName };

    const isolated = this.isolatedNetwork(Object.values(buckets));
    const network = (name: FunctionName) => (FUNCTIONS_IN_VPC.includes(name) ? { network: isolated } : {});

    const image = new FfmpegImage(this, 'FfmpegImage');
    const splitter = fanoutFunction(this, 'Splitter', {
      name: 'splitter',
      ...SIZING.splitter,
      environment: {
        WORK_BUCKET: work.bucketName,
        ASSEMBLER_STORAGE_MIB: String(SIZING.assembler.ephemeralStorageMiB),
        MAX_INPUT_BYTES: String(MAX_INPUT_BYTES),
        ...(context.qualityTarget ? { QUALITY_TARGET: context.qualityTarget } : {}),
      },
      image,
      ...network('splitter'),
    });
    const encoder = fanoutFunction(this, 'Encoder', { name: 'encoder', ...SIZING.encoder, environment: bucketNames, image, ...network('encoder') });
    const imageResize = fanoutFunction(this, 'ImageResize', { name: 'image-resize', ...SIZING['image-resize'], environment: bucketNames, ...network('image-resize') });
    const assembler = fanoutFunction(this, 'Assembler', { name: 'assembler', ...SIZING.assembler, environment: bucketNames, image, ...network('assembler') });
    const pipeline = new PipelineStateMachine(this, 'Pipeline', {
      splitter: { fn: splitter, timeout: SIZING.splitter.timeout },
      encoder: { fn: encoder, timeout: SIZING.encoder.timeout },
      imageResize: { fn: imageResize, timeout: SIZING['image-resize'].timeout },
      assembler: { fn: assembler, timeout: SIZING.assembler.timeout },
    });
    const starter = fanoutFunction(this, 'Starter', {
      name: 'starter',
      ...SIZING.starter,
      environment: { STATE_MACHINE_ARN: pipeline.stateMachine.stateMachineArn, INPUT_BUCKET: input.bucketName },
    });
    const finalizer = fanoutFunction(this, 'Finalizer', { name: 'finalizer', ...SIZING.finalizer, environment: bucketNames });


    const dashboard = context.dashboardOidcClientId ? new DashboardSite(this, 'Dashboard', { pageDir: dashboardPageDir, serverAccessLogs: accessLogs }) : undefined;
    const playback = new PlaybackCdn(this, 'Playback', {
      renditions,
      serverAccessLogs: accessLogs,
      ...(context.playbackKeyGroupId ? { keyGroupId: context.playbackKeyGroupId } : {}),
      priceClass: context.playbackPriceClass,
      ...(dashboard ? { leadingBehaviors: dashboard.behaviors } : {}),
    });
    // The published page calls the API and uploads into the input bucket from the distribution's origin.
    const withDashboard = (origins: string[]) => (dashboard && !origins.includes('*') ? [...origins, `https://${playback.domainName}`] : origins);
    input.addCorsRule({ ...UPLOAD_CORS, allowedOrigins: withDashboard(context.uploadOrigins) });
    const signing = context.playbackKeyPairId && context.playbackPrivateKeyParameter ? { keyPairId: context.playbackKeyPairId, privateKeyParameter: context.playbackPrivateKeyParameter } : undefined;
    const api = fanoutFunction(this, 'Api', {
      name: 'api',
      ...SIZING.api,
      environment: {
        INPUT_BUCKET: input.bucketName,
        RENDITIONS_BUCKET: renditions.bucketName,
        STATE_MACHINE_ARN: pipeline.stateMachine.stateMachineArn,
        MAX_INPUT_BYTES: String(MAX_INPUT_BYTES),
        PLAYBACK_BASE_URL: `https://${playback.domainName}`,
        ...(signing ? { PLAYBACK_KEY_PAIR_ID: signing.keyPairId, PLAYBACK_PRIVATE_KEY_PARAMETER: signing.privateKeyParameter } : {}),
      },
    });
    this.grantJobReading(api, finalizer, pipeline.stateMachine);
    if (signing) api.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['ssm:GetParameter'], resources: [parameterArn(this, signing.privateKeyParameter)] }));
    const jobApi = new JobApi(this, 'JobApi', {
      fn: api,
      ...(context.apiJwtIssuer && context.apiJwtAudience ? { jwt: { issuer: context.apiJwtIssuer, audience: context.apiJwtAudience, allowOrigins: withDashboard(context.apiOrigins) } } : {}),
    });
    if (dashboard && context.dashboardOidcClientId && context.apiJwtIssuer && context.apiJwtAudience) {
      dashboard.publish({
        apiEndpoint: jobApi.endpoint,
        auth: { kind: 'oidc', authority: context.apiJwtIssuer, clientId: context.dashboardOidcClientId, scope: context.dashboardOidcScope },
      });
      if (!context.apiJwtAudience.includes(context.dashboardOidcClientId)) {
        // A warning, not an error: Okta's and Entra ID's access tokens name an API (api://…) in `aud`, not the client.
        Annotations.of(this).addWarningV2(
          'fanout:dashboard-audience',
          `dashboardOidcClientId ${context.dashboardOidcClientId} is not one of apiJwtAudience (${context.apiJwtAudience.join(', ')}): the API's JWT authorizer takes a token whose aud (or client_id) is one of them. Cognito's access tokens carry the client id, so add it there; an issuer that names an API in aud needs that API's scope in dashboardOidcScope.`,
        );
      }
      new CfnOutput(this, 'DashboardUrl', { value: `https://${playback.domainName}${DASHBOARD_PATH}`, description: 'The dashboard; register this URL as the OIDC client\'s redirect (sign-in and sign-out) URI' });
    }

    const webhookDelivery = fanoutFunction(this, 'WebhookDelivery', { name: 'webhook-delivery', ...SIZING['webhook-delivery'], environment: {} });

    const functions: Record<FunctionName, LambdaFunction> = { starter, splitter, encoder, 'image-resize': imageResize, assembler, finalizer, api, 'webhook-delivery': webhookDelivery };
    for (const [name, fn] of Object.entries(functions) as Array<[FunctionName, LambdaFunction]>) {
      for (const [role, access] of Object.entries(OBJECT_ACCESS[name]) as Array<[BucketRole, ObjectAccess]>) {
        grantObjectAccess(fn, buckets[role], access, { versioned: role === 'input' });
      }
    }
    // The starter's duplicate check is StartExecution itself: a job id already used is ExecutionAlreadyExists.
    pipeline.stateMachine.grantStartExecution(starter);

    // Asynchronous invocations (S3's upload event, EventBridge's execution end) that still fail
    // after Lambda's retries are kept, with the error, in a queue to redrive from, and raise the alarm.
    const deadLetters = new Queue(this, 'DeadLetters', { retentionPeriod: Duration.days(14), encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
    input.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(starter));
    starter.configureAsyncInvoke({ onFailure: new SqsDestination(deadLetters), ...ASYNC_RETRIES });

    // An execution that ended without reaching its assembler (its own timeout, a StopExecution,
    // the assembler failing past its retries) still gets a manifest. Standard workflows send
    // these events to the default bus by themselves: no cost while idle.
    new Rule(this, 'ExecutionStatusChanges', {
      description: 'A pipeline execution started or ended: the finalizer writes the manifest of one that ended without it, and announces the job event',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [pipeline.stateMachine.stateMachineArn], status: JOB_LIFECYCLE_STATUSES },
      },
      targets: [new LambdaTarget(finalizer, { deadLetterQueue: deadLetters, ...ASYNC_RETRIES })],
    });
    finalizer.configureAsyncInvoke({ onFailure: new SqsDestination(deadLetters), ...ASYNC_RETRIES });

    const jobEvents = new JobEvents(this, 'JobEvents', {
      delivery: webhookDelivery,
      deliveryTimeout: SIZING['webhook-delivery'].timeout,
      publishers: [finalizer],
      webhookUrls: context.webhookUrls.join(','),
      webhookSecretParameter: context.webhookSecretParameter,
      ruleDeadLetters: deadLetters,
    });

    const alarms = this.alarms(pipeline.stateMachine, deadLetters, jobEvents.deadLetters);

    // What `fanout upload --aws` and `fanout status --aws` read (infra/cdk/deployed-stack.ts).
    new CfnOutput(this, STACK_OUTPUTS.inputBucket, { value: input.bucketName, description: 'Upload here to start a job' });
    new CfnOutput(this, STACK_OUTPUTS.renditionsBucket, { value: renditions.bucketName, description: '<jobId>/manifest.json and the renditions' });
    new CfnOutput(this, STACK_OUTPUTS.workBucket, { value: work.bucketName, description: 'Intermediate objects, deleted when a job ends' });
    new CfnOutput(this, STACK_OUTPUTS.stateMachineArn, { value: pipeline.stateMachine.stateMachineArn, description: 'One execution per job, named after the job id' });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topicArn, description: 'Subscribe to be told of failed jobs and lost uploads' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetters.queueUrl, description: 'Upload events and execution ends that could not be handled' });
    new CfnOutput(this, STACK_OUTPUTS.apiEndpoint, { value: jobApi.endpoint, description: 'The job API (docs/api.md): IAM (SigV4) or JWT auth on every route' });
    new CfnOutput(this, STACK_OUTPUTS.playbackDomain, { value: playback.domainName, description: 'CloudFront domain serving the renditions: https://<domain>/<jobId>/...' });
    new CfnOutput(this, STACK_OUTPUTS.eventBusName, { value: jobEvents.bus.eventBusName, description: 'Job events (source fanout, detail-type job.*): add rules here' });
    new CfnOutput(this, 'WebhookDeadLetterQueueUrl', { value: jobEvents.deadLetters.queueUrl, description: 'Job events whose webhook delivery failed every retry' });

    acknowledgeNagFindings(this, {
      functions,
      inVpc: FUNCTIONS_IN_VPC,
      buckets,
      stateMachine: pipeline.stateMachine,
      deadLetters: [deadLetters, jobEvents.deadLetters],
      distribution: playback.distribution,
      ...(dashboard ? { dashboardBucket: dashboard.bucket } : {}),
    });
  }

  /**
   * What the API reads of the jobs: the executions of this state machine (listed newest first,
   * described, their histories for progress), and nothing of any other. The finalizer reads an
   * ended execution's history for the cost of a job it finalizes.
   */
  private grantJobReading(api: LambdaFunction, finalizer: LambdaFunction, stateMachine: StateMachine): void {
    api.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['states:ListExecutions'], resources: [stateMachine.stateMachineArn] }));
    const executions = this.formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    api.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: [executions] }));
    finalizer.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['states:GetExecutionHistory'], resources: [executions] }));
  }

  /** Three alarms, to one topic to subscribe to: jobs that failed, uploads that never became jobs, webhooks never delivered. */
  private alarms(stateMachine: StateMachine, deadLetters: Queue, webhookDeadLetters: Queue): Topic {
    const topic = new Topic(this, 'AlarmTopic', { displayName: 'Fanout pipeline alarms', enforceSSL: true });
    // Any one occurrence raises it; none (no data) is the normal state.
    const once = { threshold: 1, evaluationPeriods: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: TreatMissingData.NOT_BREACHING };
    const queueDepth = (queue: Queue) => queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) });
    const failedJobs = new Alarm(this, 'ExecutionsFailedAlarm', {
      alarmDescription: 'A pipeline execution failed or timed out: see its manifest (renditions bucket, <jobId>/manifest.json) and the execution history.',
      metric: new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: { failed: stateMachine.metricFailed({ statistic: 'Sum' }), timedOut: stateMachine.metricTimedOut({ statistic: 'Sum' }) },
        period: Duration.minutes(5),
        label: 'Executions failed or timed out',
      }),
      ...once,
    });
    const lostUploads = new Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: 'An upload event failed in the starter, or an execution end in the finalizer, after every retry: a job was not started, or has no manifest (or a job event never reached the webhook queue). The message in the dead-letter queue holds the event and the error.',
      metric: queueDepth(deadLetters),
      ...once,
    });
    const undeliveredWebhooks = new Alarm(this, 'WebhookDeadLettersAlarm', {
      alarmDescription: 'A job event could not be delivered to a webhook URL after every retry: the message in the webhook dead-letter queue holds the event; redrive it once the receiver is back.',
      metric: queueDepth(webhookDeadLetters),
      ...once,
    });
    for (const alarm of [failedJobs, lostUploads, undeliveredWebhooks]) alarm.addAlarmAction(new SnsAction(topic));
    return topic;
  }

  /** Two AZs of isolated subnets; the S3 gateway endpoint (free) is their only way out, to this stack's buckets only. */
  private isolatedNetwork(buckets: Bucket[]): FunctionNetwork {
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      // Nothing is placed in the default security group; locking it down takes a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
      // Connections refused by the security group: the trace of a parser trying to get out.
      flowLogs: {
        rejected: {
          trafficType: FlowLogTrafficType.REJECT,
          destination: FlowLogDestination.toCloudWatchLogs(new LogGroup(this, 'VpcFlowLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY })),
        },
      },
    });
    const s3 = vpc.addGatewayEndpoint('S3Endpoint', { service: GatewayVpcEndpointAwsService.S3 });
    s3.addToPolicy(
      new PolicyStatement({
        principals: [new AnyPrincipal()],
        actions: ['s3:*'],
        resources: buckets.flatMap((bucket) => [bucket.bucketArn, bucket.arnForObjects('*')]),
      }),
    );
    const securityGroup = new SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc,
      description: 'fanout functions: HTTPS out (S3 through the gateway endpoint), nothing in',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to S3; the subnets route nowhere else');
    return { vpc, subnets: { subnetType: SubnetType.PRIVATE_ISOLATED }, securityGroup };
  }

  private bucket(id: string, role: BucketRole, accessLogs: Bucket, options: { versioned?: boolean; expireAfter?: Duration }): Bucket {
    const bucket = new Bucket(this, id, {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      versioned: options.versioned ?? false,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: `${role}/`,
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...(options.expireAfter ? [{ expiration: options.expireAfter }] : []),
        // Overwritten and deleted uploads stay recoverable for a while, not forever.
        ...(options.versioned ? [{ noncurrentVersionExpiration: Duration.days(30) }] : []),
      ],
    });
    (bucket.node.defaultChild as CfnBucket).addMetadata(BUCKET_METADATA_KEY, role);
    return bucket;
  }
}
