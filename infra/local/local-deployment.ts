/**
 * What the local host runs, read from the template the CDK app synthesizes: the state machine's
 * definition, each function's handler, environment and timeout, and the buckets. Nothing here
 * is a second copy of the pipeline; intrinsic functions are resolved to local names.
 */
import { App } from 'aws-cdk-lib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BUCKET_METADATA_KEY, FanoutStack, type BucketRole } from '../cdk/fanout-stack.ts';
import { FUNCTION_METADATA_KEY, type FunctionName } from '../cdk/fanout-function.ts';

export const LOCAL_ACCOUNT = '000000000000';

export interface LocalFunction {
  name: FunctionName;
  arn: string;
  handlerPath: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMiB: number;
}

/** An EventBridge rule on the state machine's status changes: which ends it matches, which function it invokes. */
export interface ExecutionEndRule {
  statuses: string[];
  functionArn: string;
}

/** A bucket's lifecycle rules as the template declares them (CloudFormation's shape). */
export const TemplateLifecycleRule = z.object({
  Status: z.string(),
  ExpirationInDays: z.number().optional(),
  AbortIncompleteMultipartUpload: z.object({ DaysAfterInitiation: z.number() }).optional(),
  NoncurrentVersionExpiration: z.object({ NoncurrentDays: z.number() }).optional(),
});
export type TemplateLifecycleRule = z.infer<typeof TemplateLifecycleRule>;

export interface LocalDeployment {
  region: string;
  buckets: Record<BucketRole, string>;
  /** Each bucket's lifecycle rules, so work objects expire locally as they do on AWS. */
  lifecycleRules: Record<BucketRole, TemplateLifecycleRule[]>;
  functions: LocalFunction[];
  stateMachine: { arn: string; name: string; definition: object };
  /** What the local host does where AWS's EventBridge would deliver an execution's end. */
  executionEndRules: ExecutionEndRule[];
}

/**
 * Resources with no local counterpart: the CloudFront distribution, the queues, the HTTP API (the
 * local host serves the api function itself). A function's variable that names one is left unset
 * locally; an event rule that targets one is not the local host's to run.
 */
const AWS_ONLY_TYPES = new Set(['AWS::CloudFront::Distribution', 'AWS::SQS::Queue', 'AWS::ApiGatewayV2::Api']);

class AwsOnlyReference extends Error {
  override readonly name = 'AwsOnlyReference';
}

type LocalName = { ref: string; arn: string } | 'aws-only';

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export function synthesizeLocalDeployment({ region = 'us-east-1', bucketPrefix = 'fanout' } = {}): LocalDeployment {
  // Synthesis without bundling: the local host runs the handlers' sources, not the zips. Its
  // cloud assembly goes to a folder of its own, removed once the template is read.
  const outdir = mkdtempSync(join(tmpdir(), 'fanout-synth-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new FanoutStack(app, 'Fanout');
    const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, TemplateResource> };
    return localDeploymentFrom(template.Resources, { region, bucketPrefix });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function localDeploymentFrom(resources: Record<string, TemplateResource>, { region, bucketPrefix }: { region: string; bucketPrefix: string }): LocalDeployment {
  const names = new Map<string, LocalName>();
  const buckets = {} as Record<BucketRole, string>;
  const lifecycleRules = {} as Record<BucketRole, TemplateLifecycleRule[]>;
  const stateMachineName = `${bucketPrefix}-pipeline`;

  for (const [logicalId, resource] of Object.entries(resources)) {
    const bucketRole = resource.Metadata?.[BUCKET_METADATA_KEY] as BucketRole | undefined;
    const functionName = resource.Metadata?.[FUNCTION_METADATA_KEY] as FunctionName | undefined;
    if (resource.Type === 'AWS::S3::Bucket' && bucketRole) {
      const bucket = `${bucketPrefix}-${bucketRole}`;
      buckets[bucketRole] = bucket;
      lifecycleRules[bucketRole] = z.array(TemplateLifecycleRule).parse((resource.Properties?.LifecycleConfiguration as { Rules?: unknown } | undefined)?.Rules ?? []);
      names.set(logicalId, { ref: bucket, arn: `arn:aws:s3:::${bucket}` });
    } else if (resource.Type === 'AWS::Lambda::Function' && functionName) {
      const name = `${bucketPrefix}-${functionName}`;
      names.set(logicalId, { ref: name, arn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}` });
    } else if (resource.Type === 'AWS::StepFunctions::StateMachine') {
      const arn = `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${stateMachineName}`;
      names.set(logicalId, { ref: arn, arn });
    } else if (resource.Type === 'AWS::Events::EventBus') {
      // The job events' bus: the local host serves PutEvents for it (EVENT_BUS_NAME in the finalizer's environment).
      const name = `${bucketPrefix}-jobs`;
      names.set(logicalId, { ref: name, arn: `arn:aws:events:${region}:${LOCAL_ACCOUNT}:event-bus/${name}` });
    } else if (AWS_ONLY_TYPES.has(resource.Type)) {
      names.set(logicalId, 'aws-only');
    }
  }

  const resolve = (value: unknown): unknown => resolveIntrinsics(value, names, region);
  const functions: LocalFunction[] = Object.entries(resources).flatMap(([logicalId, resource]) => {
    const name = resource.Metadata?.[FUNCTION_METADATA_KEY] as FunctionName | undefined;
    const local = names.get(logicalId);
    if (resource.Type !== 'AWS::Lambda::Function' || !name || !local || local === 'aws-only') return [];
    const properties = resource.Properties ?? {};
    const variables = (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    return [
      {
        name,
        arn: local.arn,
        handlerPath: fileURLToPath(new URL(`../../functions/${name}/handler.ts`, import.meta.url)),
        environment: Object.fromEntries(Object.entries(variables).flatMap(([key, value]) => resolveOrOmit(() => [[key, String(resolve(value))] as const]))),
        timeoutSeconds: Number(properties.Timeout ?? 3),
        memoryMiB: Number(properties.MemorySize ?? 128),
      },
    ];
  });

  const stateMachines = Object.values(resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine');
  if (stateMachines.length !== 1) throw new Error(`expected one state machine in the template, found ${stateMachines.length}`);
  const definition = JSON.parse(String(resolve(stateMachines[0]!.Properties?.DefinitionString))) as object;

  const stateMachineArn = `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${stateMachineName}`;
  return {
    region,
    buckets,
    lifecycleRules,
    functions,
    stateMachine: { arn: stateMachineArn, name: stateMachineName, definition },
    executionEndRules: executionEndRulesFrom(Object.values(resources), { resolve, stateMachineArn }),
  };
}

const EventRuleProperties = z.object({
  EventPattern: z.object({
    source: z.array(z.string()),
    'detail-type': z.array(z.string()),
    detail: z.object({ stateMachineArn: z.array(z.string()), status: z.array(z.string()) }),
  }),
  Targets: z.array(z.object({ Arn: z.string() })),
});

/** The template's rules on this state machine's status changes, with Lambda targets. */
function executionEndRulesFrom(resources: TemplateResource[], { resolve, stateMachineArn }: { resolve: (value: unknown) => unknown; stateMachineArn: string }): ExecutionEndRule[] {
  return resources.flatMap((resource) => {
    if (resource.Type !== 'AWS::Events::Rule') return [];
    // Only the pattern and the targets' ARNs: a target's dead-letter queue has no local counterpart.
    const declaredTargets = (resource.Properties?.Targets as Array<{ Arn?: unknown }> | undefined) ?? [];
    // A rule that targets what exists only on AWS (the webhook queue) is not the local host's to run.
    const resolvedTargets = resolveOrOmit(() => [declaredTargets.map((target) => ({ Arn: resolve(target.Arn) }))])[0];
    if (!resolvedTargets) return [];
    const rule = EventRuleProperties.safeParse({ EventPattern: resolve(resource.Properties?.EventPattern), Targets: resolvedTargets });
    if (!rule.success) return [];
    const { EventPattern: pattern, Targets: targets } = rule.data;
    const onThisMachine = pattern.source.includes('aws.states') && pattern['detail-type'].includes('Step Functions Execution Status Change') && pattern.detail.stateMachineArn.includes(stateMachineArn);
    if (!onThisMachine) return [];
    return targets.filter((target) => target.Arn.includes(':function:')).map((target) => ({ statuses: pattern.detail.status, functionArn: target.Arn }));
  });
}

/** What `produce` gives, or nothing where it names a resource that exists only on AWS. */
function resolveOrOmit<Item>(produce: () => Item[]): Item[] {
  try {
    return produce();
  } catch (error) {
    if (error instanceof AwsOnlyReference) return [];
    throw error;
  }
}

/** Just the intrinsics the stack uses: Ref, Fn::GetAtt (Arn) and Fn::Join. */
function resolveIntrinsics(value: unknown, names: Map<string, LocalName>, region: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, names, region));
  const record = value as Record<string, unknown>;
  if ('Ref' in record) {
    const pseudo: Record<string, string> = { 'AWS::Region': region, 'AWS::AccountId': LOCAL_ACCOUNT, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
    const id = String(record.Ref);
    const name = names.get(id);
    if (name === 'aws-only') throw new AwsOnlyReference(id);
    const resolved = pseudo[id] ?? name?.ref;
    if (resolved === undefined) throw new Error(`the local host cannot resolve Ref ${id}`);
    return resolved;
  }
  if ('Fn::GetAtt' in record) {
    const [id, attribute] = record['Fn::GetAtt'] as [string, string];
    const name = names.get(id);
    if (name === 'aws-only') throw new AwsOnlyReference(id);
    const resolved = attribute === 'Arn' ? name?.arn : undefined;
    if (resolved === undefined) throw new Error(`the local host cannot resolve Fn::GetAtt ${id}.${attribute}`);
    return resolved;
  }
  if ('Fn::Join' in record) {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveIntrinsics(part, names, region)).join(separator);
  }
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, resolveIntrinsics(item, names, region)]));
}
