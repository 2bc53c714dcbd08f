/**
 * Scale to zero: nothing in the template bills by the hour or runs while no upload is being
 * processed. Every resource type must be on the list below, each with how it bills; a new
 * type fails this test until someone has decided what it costs at rest.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcesOf, synthesizeTemplate, type Resource } from './template-support.ts';

/** The types allowed, and what each costs while idle. */
const PAY_PER_USE: Record<string, string> = {
  'AWS::S3::Bucket': 'storage of what is kept, and requests',
  'AWS::S3::BucketPolicy': 'free',
  'AWS::Lambda::Function': 'per request and GB-second; none while idle (no provisioned concurrency, checked below)',
  'AWS::Lambda::Permission': 'free',
  'AWS::Lambda::EventInvokeConfig': 'free',
  'AWS::IAM::Role': 'free',
  'AWS::IAM::Policy': 'free',
  'AWS::StepFunctions::StateMachine': 'per state transition (standard) or request and duration (express children)',
  'AWS::Logs::LogGroup': 'per GB ingested and stored; retention set',
  'AWS::SQS::Queue': 'per request',
  'AWS::Events::Rule': "free: AWS services' events on the default bus (the executions' status changes) cost nothing",
  'AWS::SQS::QueuePolicy': 'free',
  'AWS::SNS::Topic': 'per notification',
  'AWS::SNS::TopicPolicy': 'free',
  'AWS::CloudWatch::Alarm': '$0.10 a month per standard alarm metric: the one fixed charge, kept to a count below',
  'AWS::EC2::VPC': 'free',
  'AWS::EC2::Subnet': 'free',
  'AWS::EC2::RouteTable': 'free',
  'AWS::EC2::SubnetRouteTableAssociation': 'free',
  'AWS::EC2::SecurityGroup': 'free',
  'AWS::EC2::VPCEndpoint': 'free for a Gateway endpoint (S3); interface endpoints bill hourly and are refused below',
  'AWS::EC2::FlowLog': 'per GB of flow records delivered',
  'Custom::S3BucketNotifications': 'runs at deploy time only',
  'AWS::Lambda::EventSourceMapping':
    "free; its pollers long-poll the empty queue while idle (a few hundred thousand ReceiveMessage requests a month, inside SQS's free tier; docs/aws.md)",
  'AWS::Events::EventBus': 'free at rest; custom events cost per million put',
  'AWS::ApiGatewayV2::Api': 'HTTP API: per million requests',
  'AWS::ApiGatewayV2::Stage': 'free',
  'AWS::ApiGatewayV2::Route': 'free',
  'AWS::ApiGatewayV2::Integration': 'free',
  'AWS::ApiGatewayV2::Authorizer': 'free: IAM and JWT authorizers bill nothing beyond the request',
  'AWS::CloudFront::Distribution': 'per request and per GB out; no monthly fee (no WAF, no dedicated-IP certificate)',
  'AWS::CloudFront::OriginAccessControl': 'free',
  'AWS::CloudFront::CachePolicy': 'free',
  'AWS::CloudFront::ResponseHeadersPolicy': 'free',
  // The published dashboard (context dashboardOidcClientId).
  'AWS::CloudFront::Function': 'per invocation (the dashboard page’s index document): none while idle',
  'Custom::CDKBucketDeployment': 'runs at deploy time only (copies the built dashboard into its bucket)',
  'AWS::Lambda::LayerVersion': 'free: the AWS CLI layer of the deployment function, stored as code',
};

const page = mkdtempSync(join(tmpdir(), 'fanout-idle-page-'));
writeFileSync(join(page, 'index.html'), '<!doctype html>');
afterAll(() => rmSync(page, { recursive: true, force: true }));

const DASHBOARD = { apiJwtIssuer: 'https://issuer.example.com/', apiJwtAudience: 'dashboard', dashboardOidcClientId: 'dashboard' };

describe.each([
  ['by default', {}],
  ['with the dashboard published', DASHBOARD],
])('idle cost %s', (_, context: Record<string, string>) => {
  let resources: Array<[string, Resource]>;

  beforeAll(() => {
    resources = Object.entries(resourcesOf(synthesizeTemplate(context, { dashboardPageDir: page })));
  });

  it('holds only resource types that bill per use', () => {
    const unknown = [...new Set(resources.map(([, resource]) => resource.Type))].filter((type) => !(type in PAY_PER_USE));
    expect(unknown).toEqual([]);
  });

  it('refuses what bills by the hour: NAT gateways, instances, containers, databases, interface endpoints, load balancers, KMS keys, web ACLs, secrets', () => {
    const hourly = [
      'AWS::EC2::NatGateway',
      'AWS::EC2::Instance',
      'AWS::EC2::EIP',
      'AWS::AutoScaling::AutoScalingGroup',
      'AWS::ECS::Service',
      'AWS::EKS::Cluster',
      'AWS::RDS::DBInstance',
      'AWS::RDS::DBCluster',
      'AWS::ElastiCache::CacheCluster',
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::KMS::Key',
      'AWS::Lambda::Version',
      'AWS::Lambda::Alias',
      // Monthly: a web ACL per ACL and rule, a secret per secret (webhook and playback keys live in Parameter Store).
      'AWS::WAFv2::WebACL',
      'AWS::SecretsManager::Secret',
    ];
    expect(resources.filter(([, resource]) => hourly.includes(resource.Type)).map(([id]) => id)).toEqual([]);
    const interfaceEndpoints = resources.filter(([, resource]) => resource.Type === 'AWS::EC2::VPCEndpoint' && resource.Properties.VpcEndpointType !== 'Gateway');
    expect(interfaceEndpoints.map(([id]) => id)).toEqual([]);
  });

  it('reserves no provisioned concurrency and no SnapStart on any function', () => {
    // Provisioned concurrency lives on an alias or a version, never on the function itself.
    expect(resources.filter(([, r]) => r.Type === 'AWS::Lambda::Alias' || r.Type === 'AWS::Lambda::Version').map(([id]) => id)).toEqual([]);
    const functions = resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const [id, resource] of functions) expect(resource.Properties.SnapStart, id).toBeUndefined();
  });

  it('keeps the fixed monthly charge to four alarm metrics in three alarms ($0.40 a month at list price)', () => {
    const alarmMetrics = resources
      .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
      .reduce((count, [, alarm]) => count + ((alarm.Properties.Metrics as Array<{ MetricStat?: unknown }> | undefined)?.filter((metric) => metric.MetricStat).length ?? 1), 0);
    // The failed-executions alarm reads two metrics (failed, timed out); the two dead-letter queues' one each.
    expect(alarmMetrics).toBe(4);
  });
});
