/**
 * The local host, assembled: storage (MinIO, or the embedded S3 server), the upload trigger,
 * the worker-process function host and the local Step Functions endpoint running the
 * definition synthesized from the CDK app. The functions reach it all through the standard
 * SDK endpoint variables, exactly as they reach AWS without them.
 */
import { CreateBucketCommand, HeadBucketCommand, PutBucketLifecycleConfigurationCommand, PutBucketVersioningCommand, type LifecycleRule, type S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createS3Client, createSfnClient } from '../../shared/aws-clients.ts';
import { startFunctionHost, type FunctionHost, type InvocationSpan, type InvocationStats } from './function-host.ts';
import { synthesizeLocalDeployment, type LocalDeployment, type TemplateLifecycleRule } from './local-deployment.ts';
import type { FunctionName } from '../cdk/fanout-function.ts';
import type { BucketRole } from '../cdk/fanout-stack.ts';
import { executionEndDelivery } from './execution-end-delivery.ts';
import { startLocalEvents, type WebhookDeliveryOptions, type WebhookTarget } from './events/local-events.ts';
import type { JobEvent } from '../../shared/contracts/job-event.ts';
import { reconcileUploads, type ReconcileResult } from './reconcile-uploads.ts';
import { watchJob } from '../cli/watch-job.ts';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { startStepFunctionsServer } from './step-functions/server.ts';
import { MINIO_MISSING, startLocalStorage, type StorageChoice, type StorageKind, type TriggerChoice } from './local-storage.ts';
import { pickPort, type StablePorts } from './storage/pick-port.ts';
import { findMinio } from './storage/minio-binary.ts';
import { uploadDelivery, type DeliverUploadEvent } from './upload-trigger.ts';
import { startApiServer } from './api-server.ts';
import { findFreePort } from './storage/find-free-port.ts';

export type { StorageChoice, StorageKind, TriggerChoice, StablePorts };

export interface LocalStackOptions {
  /** Where the stack keeps its data: `.fanout/` for `fanout dev`, a temp dir for `fanout process`. */
  stateDir: string;
  storage?: StorageChoice;
  /** An already running MinIO (MINIO_ENDPOINT), used instead of starting one. */
  externalMinio?: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  /** `poll` lists the input bucket every few seconds instead of using the store's events. */
  trigger?: TriggerChoice;
  pollIntervalMs?: number;
  /** Preferred ports (`fanout dev`: the same endpoints at every start); free ports when left out. */
  ports?: StablePorts;
  concurrency?: number;
  /** Where job events go as signed webhooks (Standard Webhooks); each URL is delivered independently. */
  webhooks?: WebhookTarget[];
  /** Per-attempt timeout, attempts and backoff of webhook delivery (tests shorten them). */
  webhookDelivery?: WebhookDeliveryOptions;
  /** Extra environment per function, over what the template sets (e.g. a shorter CHUNK_SECONDS). */
  functionEnvironment?: Partial<Record<FunctionName, Record<string, string>>>;
  /** Extra environment for the job API (e.g. a lower MULTIPART_THRESHOLD_BYTES), over the template's. */
  apiEnvironment?: Record<string, string>;
  log?: (line: string) => void;
}

export interface LocalStack {
  storage: { kind: StorageKind; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  stepFunctionsEndpoint: string;
  /** The job API: its endpoint, its bearer key and the file that keeps it; the dashboard it serves, opened signed in. */
  api: { endpoint: string; apiKey: string; keyFile: string; dashboardUrl: string };
  /** The local EventBridge endpoint the finalizer puts job events on. */
  eventBridgeEndpoint: string;
  deployment: LocalDeployment;
  /** Uploads found without a job at start and handed to the starter (their keys). */
  reconciled: string[];
  /** Jobs whose execution had ended without a manifest, finalized at start. */
  finalized: string[];
  s3: S3Client;
  sfn: SFNClient;
  /** Hands an S3 upload event to the starter, as the trigger does, and waits for it. */
  deliver(event: unknown): Promise<void>;
  functionStats(): Record<string, InvocationStats>;
  /** When each recent invocation ran: where a job's wall time went. */
  invocations(): InvocationSpan[];
  /** The recent job events (started, succeeded, rejected, failed), oldest first. */
  jobEvents(): JobEvent[];
  /** Resolves when every webhook delivery so far was delivered or dead-lettered (not part of `idle`: a slow receiver never holds up a job). */
  webhooksIdle(): Promise<void>;
  /** Waits for a job's manifest: its final word, whatever the outcome. */
  waitForJob(jobId: string, options?: { timeoutMs?: number; pollMs?: number }): Promise<Manifest>;
  /** Resolves when every delivered upload has started, every execution has ended and every end was delivered. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  await mkdir(options.stateDir, { recursive: true });
  if (options.storage === 'minio' && !options.externalMinio && !findMinio()) throw new Error(MINIO_MISSING);
  const deployment = synthesizeLocalDeployment();
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch((error: unknown) => log(`stop: ${String(error)}`));
  };

  try {
    const inFlight = new Set<Promise<void>>();
    // Upload events may arrive while the stack is still starting; they wait for the splitter.
    let deliverReady: (deliver: DeliverUploadEvent) => void = () => {};
    const deliverPromise = new Promise<DeliverUploadEvent>((resolve) => (deliverReady = resolve));
    const deliverTracked = (event: unknown) => {
      const delivery = deliverPromise.then((deliver) => deliver(event));
      const settled = delivery.catch(() => {});
      inFlight.add(settled);
      void settled.finally(() => inFlight.delete(settled));
      return delivery;
    };
    // Triggers do not wait: a failed delivery is logged, and the reconcile pass retries it at the next start.
    const handOver = (event: unknown) => void deliverTracked(event).catch(() => {});
    const track = (work: Promise<unknown>) => {
      const settled = work.then(() => {}, () => {});
      inFlight.add(settled);
      void settled.finally(() => inFlight.delete(settled));
    };

    const storage = await startLocalStorage({
      stateDir: options.stateDir,
      choice: options.storage ?? 'auto',
      externalMinio: options.externalMinio,
      inputBucket: deployment.buckets.input,
      onUpload: handOver,
      trigger: options.trigger,
      pollIntervalMs: options.pollIntervalMs,
      ports: options.ports,
      log,
    });
    stoppers.push(storage.stop);
    const connection = { credentials: storage.credentials, region: deployment.region };
    const s3 = createS3Client({ AWS_ENDPOINT_URL_S3: storage.endpoint, S3_FORCE_PATH_STYLE: true }, connection);
    await createBuckets(s3, deployment, log);
    await storage.afterBuckets?.(s3);

    // Job events: the finalizer puts them through the EventBridge API; webhooks go out from here.
    const events = await startLocalEvents({
      stateDir: options.stateDir,
      port: options.ports?.eventBridge === undefined ? undefined : await pickPort({ preferred: options.ports.eventBridge, name: 'eventbridge', log }),
      webhooks: options.webhooks,
      delivery: options.webhookDelivery,
      log,
    });
    stoppers.push(() => events.close());

    // The endpoint's task invoker and the workers' environment refer to each other: start the
    // endpoint first, bind the host when it exists.
    let host: FunctionHost | undefined;
    // Where AWS's EventBridge rule sends an execution's start and end: the finalizer, which
    // announces the job and writes the manifest of a job left without one.
    const finalize = executionEndDelivery({
      host: () => host!,
      rules: deployment.executionEndRules,
      region: deployment.region,
      onError: (error) => log(`finalizer failed: ${String(error)}`),
    });
    // An execution's end is delivered after its start, so job.started comes before the end's event.
    const starts = new Map<string, Promise<unknown>>();
    const stepFunctions = await startStepFunctionsServer({
      stateMachines: [deployment.stateMachine],
      invokeTask: (resource, input, options) => host!.invoke(resource, input, options),
      journalFile: join(options.stateDir, 'executions.jsonl'),
      onExecutionStarted: (execution) => {
        const delivery = finalize(execution).catch(() => {});
        starts.set(execution.executionArn, delivery);
        track(delivery);
      },
      onExecutionEnded: (execution) => {
        const started = starts.get(execution.executionArn) ?? Promise.resolve();
        starts.delete(execution.executionArn);
        track(started.then(() => finalize(execution)));
      },
      port: options.ports?.stepFunctions === undefined ? undefined : await pickPort({ preferred: options.ports.stepFunctions, name: 'step functions', log }),
    });
    stoppers.push(() => stepFunctions.close());
    const concurrency = options.concurrency ?? availableParallelism();
    host = await startFunctionHost({
      functions: deployment.functions.map((fn) => ({ ...fn, environment: { ...fn.environment, ...options.functionEnvironment?.[fn.name] } })),
      tmpRoot: join(options.stateDir, 'lambda-tmp', String(process.pid)),
      concurrency,
      runtimeEnvironment: {
        AWS_REGION: deployment.region,
        AWS_DEFAULT_REGION: deployment.region,
        AWS_ACCESS_KEY_ID: storage.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: storage.credentials.secretAccessKey,
        AWS_ENDPOINT_URL_S3: storage.endpoint,
        AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: events.endpoint,
        // The bus the CDK app names for the finalizer, else the default local one: any name reaches this host.
        EVENT_BUS_NAME: deployment.functions.find((fn) => fn.name === 'finalizer')?.environment.EVENT_BUS_NAME ?? 'fanout',
        S3_FORCE_PATH_STYLE: 'true',
        // Workers share this machine's cores, where a Lambda sandbox has its own: one encoder
        // sized to every core, run beside others, mostly waits for the CPU.
        FFMPEG_THREADS: String(Math.max(1, Math.floor(availableParallelism() / concurrency))),
        // Function logs stay on stderr, but only warnings; metrics are CloudWatch's business.
        POWERTOOLS_LOG_LEVEL: 'WARN',
        POWERTOOLS_METRICS_DISABLED: 'true',
        // Costs here are AWS's prices on this machine's durations: the manifest says `modelled`.
        FANOUT_HOST: 'local',
      },
    });
    stoppers.push(() => host!.close());

    const starter = deployment.functions.find((fn) => fn.name === 'starter')!;
    deliverReady(uploadDelivery({ host, starter: starter.arn, onError: (error) => log(`starter failed: ${String(error)}`) }));

    const sfn = createSfnClient({ AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint, S3_FORCE_PATH_STYLE: true }, connection);
    const reconciled: ReconcileResult = await reconcileUploads({
      s3,
      sfn,
      stateMachineArn: deployment.stateMachine.arn,
      inputBucket: deployment.buckets.input,
      renditionsBucket: deployment.buckets.renditions,
      deliver: async (event) => handOver(event),
      finalize: async (execution) => track(finalize(execution)),
    });
    const api = await startApiServer({
      stateDir: options.stateDir,
      environment: apiEnvironment(deployment, options.apiEnvironment),
      s3,
      sfn,
      port: options.ports?.api === undefined ? await findFreePort() : await pickPort({ preferred: options.ports.api, name: 'api', log }),
      log,
    });
    stoppers.push(() => api.close());

    if (reconciled.started.length > 0) log(`reconcile: ${reconciled.started.length} upload(s) had no job yet: ${reconciled.started.join(', ')}`);
    if (reconciled.finalized.length > 0) log(`reconcile: ${reconciled.finalized.length} job(s) had ended without a manifest; finalizing: ${reconciled.finalized.join(', ')}`);

    return {
      storage: { kind: storage.kind, endpoint: storage.endpoint, credentials: storage.credentials },
      stepFunctionsEndpoint: stepFunctions.endpoint,
      api: { endpoint: api.endpoint, apiKey: api.apiKey, keyFile: api.keyFile, dashboardUrl: api.dashboardUrl },
      eventBridgeEndpoint: events.endpoint,
      deployment,
      reconciled: reconciled.started,
      finalized: reconciled.finalized,
      s3,
      sfn,
      deliver: deliverTracked,
      functionStats: () => host!.stats(),
      invocations: () => host!.invocations(),
      jobEvents: () => events.jobEvents(),
      webhooksIdle: () => events.idle(),
      waitForJob: (jobId, { timeoutMs, pollMs } = {}) =>
        watchJob({ s3, sfn, renditionsBucket: deployment.buckets.renditions, stateMachineArn: deployment.stateMachine.arn, jobId, timeoutMs, pollMs }),
      async idle() {
        while (inFlight.size > 0) await Promise.all([...inFlight]);
        await stepFunctions.idle();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const API_FUNCTION: string = 'api';

/**
 * The api function's environment from the template when the CDK app defines it, else the
 * deployment's names; the local host reaches storage and Step Functions through its own clients
 * and serves playback itself, so the template's CloudFront settings do not apply here.
 */
function apiEnvironment(deployment: LocalDeployment, overrides: Record<string, string> = {}): Record<string, string> {
  const fromTemplate = deployment.functions.find((fn) => fn.name === API_FUNCTION)?.environment;
  const environment = fromTemplate ?? {
    INPUT_BUCKET: deployment.buckets.input,
    RENDITIONS_BUCKET: deployment.buckets.renditions,
    STATE_MACHINE_ARN: deployment.stateMachine.arn,
  };
  const local = Object.fromEntries(Object.entries(environment).filter(([name]) => !name.startsWith('PLAYBACK_')));
  return { ...local, ...overrides };
}

async function createBuckets(s3: S3Client, { buckets, lifecycleRules }: Pick<LocalDeployment, 'buckets' | 'lifecycleRules'>, log: (line: string) => void): Promise<void> {
  for (const bucket of Object.values(buckets)) {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
  }
  // The template's lifecycle rules, as on AWS: work objects a task wrote after its job ended
  // (one still running after a stop) expire as a backstop.
  // MinIO refuses AbortIncompleteMultipartUpload (it clears stale uploads itself): a store that
  // refuses the whole set gets it without that rule.
  for (const [role, rules] of Object.entries(lifecycleRules) as Array<[BucketRole, TemplateLifecycleRule[]]>) {
    const withoutAbort = rules.map(({ AbortIncompleteMultipartUpload: _, ...rule }) => rule).filter((rule) => rule.ExpirationInDays || rule.NoncurrentVersionExpiration);
    const attempts = [rules, withoutAbort].filter((set) => set.length > 0);
    for (const [index, set] of attempts.entries()) {
      try {
        await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: buckets[role], LifecycleConfiguration: { Rules: set.map(toS3LifecycleRule) } }));
        break;
      } catch (error) {
        const expiryLost = index === attempts.length - 1 && withoutAbort.length > 0;
        if (expiryLost) log(`storage: no lifecycle rules on ${buckets[role]} (${error instanceof Error ? error.name : String(error)}): its objects do not expire`);
      }
    }
  }
  // As on AWS: every upload keeps its own bytes, so a job reads the version its event names
  // even when the key is written again mid-job. A store without versioning (the embedded
  // server) falls back to reads conditional on the event's ETag.
  try {
    await s3.send(new PutBucketVersioningCommand({ Bucket: buckets.input, VersioningConfiguration: { Status: 'Enabled' } }));
  } catch (error) {
    log(`storage: no versioning on ${buckets.input} (${error instanceof Error ? error.name : String(error)}); jobs read an upload only while its ETag is unchanged`);
  }
}

/** CloudFormation's lifecycle rule in the S3 API's shape. */
function toS3LifecycleRule(rule: TemplateLifecycleRule, index: number): LifecycleRule {
  return {
    ID: `template-rule-${index}`,
    Status: rule.Status === 'Enabled' ? 'Enabled' : 'Disabled',
    Filter: { Prefix: '' },
    ...(rule.ExpirationInDays ? { Expiration: { Days: rule.ExpirationInDays } } : {}),
    ...(rule.AbortIncompleteMultipartUpload ? { AbortIncompleteMultipartUpload: rule.AbortIncompleteMultipartUpload } : {}),
    ...(rule.NoncurrentVersionExpiration ? { NoncurrentVersionExpiration: rule.NoncurrentVersionExpiration } : {}),
  };
}
