/**
 * The public surface on AWS, as synthesized: the job API (every route behind an authorizer), the
 * playback distribution (origin access control, HTTPS, CORS, VOD caching, optional signed URLs),
 * job events (bus, rule, queue, dead-letter queue, delivery function), and the exact grants of
 * the functions behind them.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocumentText } from '../../functions/api/openapi-document.ts';
import { SIZING } from '../../infra/cdk/fanout-stack.ts';
import { API_ROUTES, API_THROTTLE } from '../../infra/cdk/job-api.ts';
import { MAX_DELIVERY_RECEIVES } from '../../infra/cdk/job-events.ts';
import { arnText, bucketIds, functionIds, resourcesOf, roleOf, statementsOfRole, synthesizeTemplate, type Resource, type Statement } from './template-support.ts';

let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  template = synthesizeTemplate();
  resources = resourcesOf(template);
});

const ofType = (from: Record<string, Resource>, type: string) => Object.entries(from).filter(([, resource]) => resource.Type === type);
const onlyOfType = (from: Record<string, Resource>, type: string): [string, Resource] => {
  const found = ofType(from, type);
  expect(found.map(([id]) => id), type).toHaveLength(1);
  return found[0]!;
};

/** A statement as text: sorted actions, resources written out, its condition; order-free comparison. */
function describeStatement(statement: Statement & { Condition?: unknown }, of: Template): string {
  const actions = [statement.Action].flat().sort().join(',');
  const statementResources = [statement.Resource].flat().map((resource) => arnText(resource, of)).sort().join(',');
  return `${statement.Effect} ${actions} on ${statementResources}${statement.Condition ? ` if ${JSON.stringify(statement.Condition)}` : ''}`;
}

function grantsOf(of: Template, name: string): string[] {
  const fns = functionIds(of) as Record<string, string>;
  return statementsOfRole(of, roleOf(of, fns[name]!))
    .map((statement) => describeStatement(statement, of))
    .sort();
}

function logGroupOf(of: Template, name: string): string {
  const fns = functionIds(of) as Record<string, string>;
  return resourcesOf(of)[fns[name]!]!.Properties.LoggingConfig.LogGroup.Ref as string;
}

describe('the job API', () => {
  it('routes every operation the API serves (its OpenAPI document), and no other', () => {
    const document = JSON.parse(openApiDocumentText()) as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));

    expect(API_ROUTES.map((route) => `${route.method} ${route.path}`).sort()).toEqual([...served, 'GET /v1/openapi.json'].sort());
  });

  it('serves exactly the API routes, each behind IAM authorization by default: no route is NONE, and there is no $default route', () => {
    const routes = ofType(resources, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);
    expect(routes.map((route) => route.RouteKey).sort()).toEqual(API_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    for (const route of routes) expect(route.AuthorizationType, route.RouteKey).toBe('AWS_IAM');
    expect(routes.map((route) => route.RouteKey)).not.toContain('$default');
  });

  it('with apiJwtIssuer and apiJwtAudience, puts every route behind a JWT authorizer for that issuer and audience', () => {
    const jwt = resourcesOf(synthesizeTemplate({ apiJwtIssuer: 'https://issuer.example.com/', apiJwtAudience: 'dashboard,backend' }));
    const [authorizerId, authorizer] = onlyOfType(jwt, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://issuer.example.com/', Audience: ['dashboard', 'backend'] } });
    const routes = ofType(jwt, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);
    expect(routes).toHaveLength(API_ROUTES.length);
    for (const route of routes) expect(route, route.RouteKey).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
    // A browser sends its bearer token cross-origin: API Gateway answers the preflight.
    expect(onlyOfType(jwt, 'AWS::ApiGatewayV2::Api')[1].Properties.CorsConfiguration).toMatchObject({ AllowOrigins: ['*'], AllowHeaders: expect.arrayContaining(['authorization']) });
  });

  it('refuses half a JWT configuration', () => {
    expect(() => synthesizeTemplate({ apiJwtIssuer: 'https://issuer.example.com/' })).toThrow(/apiJwtIssuer and apiJwtAudience go together/);
  });

  it('throttles the stage and logs every request to a log group with a retention', () => {
    const [, stage] = onlyOfType(resources, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: API_THROTTLE.rateLimit, ThrottlingBurstLimit: API_THROTTLE.burstLimit } });
    expect(API_THROTTLE.rateLimit).toBeGreaterThan(0);
    expect(API_THROTTLE.burstLimit).toBeGreaterThanOrEqual(API_THROTTLE.rateLimit);
    const logGroup = resources[stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0]]!;
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup.Properties.RetentionInDays).toBeGreaterThan(0);
  });

  it('runs the api function outside the VPC, with the environment its config reads', () => {
    const fns = functionIds(template);
    const api = resources[fns.api]!.Properties;
    expect(api.VpcConfig).toBeUndefined();
    const buckets = bucketIds(template);
    const distribution = onlyOfType(resources, 'AWS::CloudFront::Distribution')[0];
    expect(api.Environment.Variables).toEqual({
      INPUT_BUCKET: { Ref: buckets.input },
      RENDITIONS_BUCKET: { Ref: buckets.renditions },
      STATE_MACHINE_ARN: { Ref: onlyOfType(resources, 'AWS::StepFunctions::StateMachine')[0] },
      MAX_INPUT_BYTES: String(5 * 1024 ** 3),
      PLAYBACK_BASE_URL: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }]] },
    });
    // The splitter rejects above the same figure the API refuses to presign.
    expect(resources[fns.splitter]!.Properties.Environment.Variables.MAX_INPUT_BYTES).toBe(api.Environment.Variables.MAX_INPUT_BYTES);
  });

  it('outputs the endpoint, the playback domain, the bus and the webhook dead-letter queue', () => {
    const outputs = Object.keys(template.toJSON().Outputs as object);
    expect(outputs).toEqual(expect.arrayContaining(['ApiEndpoint', 'PlaybackDomain', 'EventBusName', 'WebhookDeadLetterQueueUrl']));
  });
});

describe('browser uploads', () => {
  const corsOf = (of: Record<string, Resource>, bucket: string) => of[bucket]!.Properties.CorsConfiguration.CorsRules as Array<Record<string, unknown>>;

  it('let browsers PUT into the input bucket from any origin by default, and read the ETag a multipart completion needs', () => {
    const input = bucketIds(template).input;
    expect(corsOf(resources, input)).toEqual([
      expect.objectContaining({ AllowedMethods: ['PUT', 'HEAD'], AllowedOrigins: ['*'], ExposedHeaders: ['ETag'], AllowedHeaders: expect.arrayContaining(['Content-Type', 'Content-Length']) }),
    ]);
    const rules = resources[input]!.Properties.LifecycleConfiguration.Rules as Array<Record<string, unknown>>;
    expect(rules).toContainEqual(expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }));
  });

  it('take the origins from context uploadOrigins', () => {
    const configured = synthesizeTemplate({ uploadOrigins: 'https://app.example.com, https://admin.example.com' });
    expect(corsOf(resourcesOf(configured), bucketIds(configured).input)[0]!.AllowedOrigins).toEqual(['https://app.example.com', 'https://admin.example.com']);
  });
});

describe('playback through CloudFront', () => {
  const distributionConfig = (of: Record<string, Resource>) => onlyOfType(of, 'AWS::CloudFront::Distribution')[1].Properties.DistributionConfig;
  const behaviorsOf = (of: Record<string, Resource>) => {
    const config = distributionConfig(of);
    return [config.DefaultCacheBehavior, ...(config.CacheBehaviors ?? [])] as Array<Record<string, any>>;
  };

  it('reads the private renditions bucket through origin access control only: no origin access identity, no public access', () => {
    const [oacId, oac] = onlyOfType(resources, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    expect(ofType(resources, 'AWS::CloudFront::CloudFrontOriginAccessIdentity')).toEqual([]);
    const origins = distributionConfig(resources).Origins as Array<Record<string, any>>;
    expect(origins).toHaveLength(1);
    expect(origins[0]).toMatchObject({ OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] }, S3OriginConfig: { OriginAccessIdentity: '' } });
    const renditions = bucketIds(template).renditions;
    expect(origins[0]!.DomainName).toEqual({ 'Fn::GetAtt': [renditions, 'RegionalDomainName'] });
    expect(resources[renditions]!.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });

    // The bucket policy lets CloudFront read objects for this distribution only; nobody else is allowed in.
    const [, policy] = ofType(resources, 'AWS::S3::BucketPolicy').find(([, candidate]) => candidate.Properties.Bucket.Ref === renditions)!;
    const allows = (policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>).filter((statement) => statement.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    const distribution = onlyOfType(resources, 'AWS::CloudFront::Distribution')[0];
    expect(allows[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(JSON.stringify(allows[0]!.Condition.StringEquals['AWS:SourceArn'])).toContain(distribution);
  });

  it('redirects HTTP to HTTPS and adds the players’ CORS headers on every behaviour', () => {
    const [corsId, cors] = onlyOfType(resources, 'AWS::CloudFront::ResponseHeadersPolicy');
    expect(cors.Properties.ResponseHeadersPolicyConfig.CorsConfig).toMatchObject({
      AccessControlAllowOrigins: { Items: ['*'] },
      AccessControlAllowMethods: { Items: ['GET', 'HEAD', 'OPTIONS'] },
      AccessControlAllowHeaders: { Items: expect.arrayContaining(['Range']) },
      AccessControlExposeHeaders: { Items: expect.arrayContaining(['Content-Length', 'Content-Range']) },
      AccessControlAllowCredentials: false,
    });
    for (const behavior of behaviorsOf(resources)) {
      expect(behavior, behavior.PathPattern ?? 'default').toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', ResponseHeadersPolicyId: { Ref: corsId }, AllowedMethods: ['GET', 'HEAD', 'OPTIONS'] });
    }
    // S3 answers the preflight itself, from a CORS rule of its own.
    expect(resources[bucketIds(template).renditions]!.Properties.CorsConfiguration.CorsRules[0]).toMatchObject({ AllowedMethods: ['GET', 'HEAD'], AllowedOrigins: ['*'] });
  });

  it('caches renditions for a year and the manifest for a minute at most, compressing only playlists, captions and JSON', () => {
    const ttlOf = (behavior: Record<string, any>) => resources[behavior.CachePolicyId.Ref]!.Properties.CachePolicyConfig;
    const byPattern = Object.fromEntries(behaviorsOf(resources).map((behavior) => [behavior.PathPattern ?? 'default', behavior]));
    expect(Object.keys(byPattern).sort()).toEqual(['*.m3u8', '*.vtt', '*/manifest.json', 'default']);
    for (const pattern of ['default', '*.m3u8', '*.vtt']) expect(ttlOf(byPattern[pattern]!).DefaultTTL, pattern).toBe(365 * 24 * 3600);
    expect(ttlOf(byPattern['*/manifest.json']!).MaxTTL).toBeLessThanOrEqual(60);
    expect(byPattern.default!.Compress).toBe(false);
    for (const pattern of ['*.m3u8', '*.vtt', '*/manifest.json']) {
      expect(byPattern[pattern]!.Compress, pattern).toBe(true);
      expect(ttlOf(byPattern[pattern]!).ParametersInCacheKeyAndForwardedToOrigin, pattern).toMatchObject({ EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true });
    }
    // One cached copy for every viewer: no query string (a signature's parameters), header or cookie in the key.
    for (const behavior of behaviorsOf(resources)) {
      expect(ttlOf(behavior).ParametersInCacheKeyAndForwardedToOrigin).toMatchObject({ QueryStringsConfig: { QueryStringBehavior: 'none' }, HeadersConfig: { HeaderBehavior: 'none' }, CookiesConfig: { CookieBehavior: 'none' } });
    }
  });

  it('serves HTTP/2 and HTTP/3 from price class 100 by default, and logs requests', () => {
    expect(distributionConfig(resources)).toMatchObject({ HttpVersion: 'http2and3', PriceClass: 'PriceClass_100', Enabled: true, Logging: { Bucket: expect.anything() } });
  });

  it('is open to any holder of a URL by default, and trusts only the deployer’s key group when playbackKeyGroupId is set', () => {
    for (const behavior of behaviorsOf(resources)) expect(behavior.TrustedKeyGroups).toBeUndefined();
    const restricted = resourcesOf(synthesizeTemplate({ playbackKeyGroupId: 'kg-0123456789' }));
    for (const behavior of behaviorsOf(restricted)) expect(behavior.TrustedKeyGroups, behavior.PathPattern ?? 'default').toEqual(['kg-0123456789']);
  });

  it('gives the api function the key pair and the private key parameter when signing is configured, and may read that parameter only', () => {
    const signing = { playbackKeyGroupId: 'kg-0123456789', playbackKeyPairId: 'K2JCJMDEHXQW5F', playbackPrivateKeyParameter: '/fanout/playback-private-key' };
    const signed = synthesizeTemplate(signing);
    const api = resourcesOf(signed)[functionIds(signed).api]!.Properties.Environment.Variables;
    expect(api).toMatchObject({ PLAYBACK_KEY_PAIR_ID: 'K2JCJMDEHXQW5F', PLAYBACK_PRIVATE_KEY_PARAMETER: '/fanout/playback-private-key' });
    const ssm = grantsOf(signed, 'api').filter((grant) => grant.includes('ssm:'));
    expect(ssm).toEqual(['Allow ssm:GetParameter on arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/fanout/playback-private-key']);
    expect(grantsOf(template, 'api').filter((grant) => grant.includes('ssm:'))).toEqual([]);
    expect(() => synthesizeTemplate({ playbackKeyPairId: 'K2JCJMDEHXQW5F' })).toThrow(/go together/);
  });
});

describe('job events', () => {
  const busId = () => onlyOfType(resources, 'AWS::Events::EventBus')[0];
  const queues = () => {
    const [, rule] = ruleOnBus();
    const queueId = rule.Properties.Targets[0].Arn['Fn::GetAtt'][0] as string;
    const deadLettersId = resources[queueId]!.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0] as string;
    return { queueId, deadLettersId };
  };
  const ruleOnBus = () => ofType(resources, 'AWS::Events::Rule').find(([, rule]) => rule.Properties.EventBusName?.Ref === busId())!;

  it('go on a bus of the stack’s own, named in an output', () => {
    const [id, bus] = onlyOfType(resources, 'AWS::Events::EventBus');
    expect(bus.Properties.Name).toBe('Fanout-jobs');
    expect((template.toJSON().Outputs as Record<string, { Value: unknown }>).EventBusName!.Value).toEqual({ Ref: id });
  });

  it('reach the webhook queue through one rule: source fanout, every job.* detail-type', () => {
    const [, rule] = ruleOnBus();
    expect(rule.Properties.EventPattern).toEqual({ source: ['fanout'], 'detail-type': [{ prefix: 'job.' }] });
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(resources[queues().queueId]!.Type).toBe('AWS::SQS::Queue');
  });

  it('wait in an encrypted queue that gives up after a bounded number of deliveries into its dead-letter queue, 14 days kept', () => {
    const { queueId, deadLettersId } = queues();
    const queue = resources[queueId]!.Properties;
    expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600, RedrivePolicy: { maxReceiveCount: MAX_DELIVERY_RECEIVES } });
    expect(MAX_DELIVERY_RECEIVES).toBeGreaterThanOrEqual(5);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * SIZING['webhook-delivery'].timeout.toSeconds());
    expect(resources[deadLettersId]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    // Both refuse requests without TLS.
    for (const id of [queueId, deadLettersId]) {
      const policy = ofType(resources, 'AWS::SQS::QueuePolicy').find(([, candidate]) => (candidate.Properties.Queues as Array<{ Ref: string }>).some((queueRef) => queueRef.Ref === id));
      expect(JSON.stringify(policy?.[1].Properties.PolicyDocument), id).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('are delivered by the webhook-delivery function, outside the VPC, reporting each failed message on its own', () => {
    const fns = functionIds(template);
    const [, mapping] = onlyOfType(resources, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties).toMatchObject({ EventSourceArn: { 'Fn::GetAtt': [queues().queueId, 'Arn'] }, FunctionName: { Ref: fns['webhook-delivery'] }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const delivery = resources[fns['webhook-delivery']]!.Properties;
    expect(delivery.VpcConfig).toBeUndefined();
    expect(delivery.Environment.Variables).toEqual({ WEBHOOK_URLS: '', WEBHOOK_SECRET_PARAMETER: '/fanout/webhook-secret', WEBHOOK_QUEUE_URL: { Ref: queues().queueId } });
    const configured = synthesizeTemplate({ webhookUrls: 'https://a.example.com/hook,https://b.example.com/hook', webhookSecretParameter: '/team/hooks' });
    expect(resourcesOf(configured)[functionIds(configured)['webhook-delivery']]!.Properties.Environment.Variables).toMatchObject({ WEBHOOK_URLS: 'https://a.example.com/hook,https://b.example.com/hook', WEBHOOK_SECRET_PARAMETER: '/team/hooks' });
  });

  it('raise the alarm when one lands in the webhook dead-letter queue', () => {
    const alarm = ofType(resources, 'AWS::CloudWatch::Alarm').find(([, candidate]) => JSON.stringify(candidate.Properties.Dimensions ?? []).includes(queues().deadLettersId));
    expect(alarm?.[1].Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, AlarmActions: [{ Ref: onlyOfType(resources, 'AWS::SNS::Topic')[0] }] });
  });

  it('tell the finalizer the bus', () => {
    const fns = functionIds(template);
    expect(resources[fns.finalizer]!.Properties.Environment.Variables.EVENT_BUS_NAME).toEqual({ Ref: busId() });
  });
});

describe('grants, exactly', () => {
  it('let the api function presign, read and delete under uploads/ only, read manifests, clear a job’s renditions, and read this state machine’s executions', () => {
    const buckets = bucketIds(template);
    const input = `arn:aws:s3:::${buckets.input}`;
    const renditions = `arn:aws:s3:::${buckets.renditions}`;
    const stateMachine = onlyOfType(resources, 'AWS::StepFunctions::StateMachine')[0];
    expect(grantsOf(template, 'api')).toEqual(
      [
        `Allow logs:CreateLogStream,logs:PutLogEvents on <${logGroupOf(template, 'api')}.Arn>`,
        // A job's source may be any key (any S3 client can upload): DELETE finds and removes its versions wherever it is.
        `Allow s3:ListBucket,s3:ListBucketVersions on ${input}`,
        `Allow s3:ListBucketMultipartUploads on ${input}`,
        `Allow s3:GetObject,s3:GetObjectVersion on ${input}/uploads/*`,
        `Allow s3:AbortMultipartUpload,s3:PutObject on ${input}/uploads/*`,
        `Allow s3:DeleteObject,s3:DeleteObjectVersion on ${input}/*`,
        `Allow s3:ListBucket on ${renditions}`,
        `Allow s3:GetObject on ${renditions}/*/manifest.json`,
        `Allow s3:DeleteObject on ${renditions}/*`,
        `Allow states:ListExecutions on <${stateMachine}>`,
        `Allow states:DescribeExecution,states:GetExecutionHistory on arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${stateMachine}.Name>:*`,
      ].sort(),
    );
  });

  it('let the webhook-delivery function consume its queue and read the webhook secret, nothing else', () => {
    const [, rule] = ofType(resources, 'AWS::Events::Rule').find(([, candidate]) => candidate.Properties.EventBusName)!;
    const queue = rule.Properties.Targets[0].Arn['Fn::GetAtt'][0] as string;
    expect(grantsOf(template, 'webhook-delivery')).toEqual(
      [
        `Allow logs:CreateLogStream,logs:PutLogEvents on <${logGroupOf(template, 'webhook-delivery')}.Arn>`,
        `Allow sqs:ChangeMessageVisibility,sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:ReceiveMessage on <${queue}.Arn>`,
        'Allow ssm:GetParameter on arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/fanout/webhook-secret',
      ].sort(),
    );
  });

  it('let the finalizer put events on the stack’s bus only', () => {
    const bus = onlyOfType(resources, 'AWS::Events::EventBus')[0];
    const events = grantsOf(template, 'finalizer').filter((grant) => grant.includes('events:'));
    expect(events).toEqual([`Allow events:PutEvents on <${bus}.Arn>`]);
    for (const other of ['starter', 'splitter', 'encoder', 'image-resize', 'assembler', 'api', 'webhook-delivery']) {
      expect(grantsOf(template, other).filter((grant) => grant.includes('events:')), other).toEqual([]);
    }
  });

  it('let the finalizer read the histories of this state machine’s executions only (the cost of a job it finalizes)', () => {
    const stateMachine = onlyOfType(resources, 'AWS::StepFunctions::StateMachine')[0];
    expect(grantsOf(template, 'finalizer').filter((grant) => grant.includes('states:'))).toEqual([
      `Allow states:GetExecutionHistory on arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${stateMachine}.Name>:*`,
    ]);
  });
});
