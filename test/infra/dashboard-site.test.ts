/**
 * The dashboard published with the CDK app (context dashboardOidcClientId): its private bucket
 * behind origin access control, the distribution's behaviours for it (caching, HTTPS, the index
 * document), the config.json the page reads, and the synth's refusals when it is misconfigured.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSET_MAX_AGE } from '../../infra/cdk/dashboard-site.ts';
import { FanoutStack } from '../../infra/cdk/fanout-stack.ts';
import { DashboardConfig } from '../../shared/contracts/dashboard-config.ts';
import { arnText, bucketIds, resourcesOf, synthesizeTemplate, type Resource } from './template-support.ts';

const JWT = { apiJwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example', apiJwtAudience: 'dash-client,backend' };
const PUBLISHED = { ...JWT, dashboardOidcClientId: 'dash-client' };
/** CloudFront's managed CachingDisabled policy. */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';

const folders: string[] = [];
const folder = (prefix: string) => {
  const path = mkdtempSync(join(tmpdir(), prefix));
  folders.push(path);
  return path;
};
afterAll(() => {
  for (const path of folders) rmSync(path, { recursive: true, force: true });
});

/** A built page as Vite leaves it: index.html and a hashed asset. */
function builtPage(): string {
  const page = folder('fanout-dashboard-page-');
  writeFileSync(join(page, 'index.html'), '<!doctype html><title>Fanout</title><script type="module" src="./assets/index-abc123.js"></script>');
  mkdirSync(join(page, 'assets'));
  writeFileSync(join(page, 'assets', 'index-abc123.js'), 'console.log("fanout")');
  return page;
}

/** The stack synthesized into a folder of its own, so the staged assets (config.json) can be read. */
function synthesize(context: Record<string, string>, dashboardPageDir: string) {
  const outdir = folder('fanout-dashboard-synth-');
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new FanoutStack(app, 'Fanout', { dashboardPageDir });
  const template = Template.fromStack(stack);
  return { template, resources: resourcesOf(template), outdir, annotations: Annotations.fromStack(stack) };
}

const ofType = (resources: Record<string, Resource>, type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const distributionOf = (resources: Record<string, Resource>) => {
  const [[id, distribution]] = ofType(resources, 'AWS::CloudFront::Distribution') as [[string, Resource]];
  return { id, config: distribution.Properties.DistributionConfig as Record<string, any> };
};
const dashboardBucketId = (resources: Record<string, Resource>) => {
  const deployment = ofType(resources, 'Custom::CDKBucketDeployment')[0]![1];
  return deployment.Properties.DestinationBucketName.Ref as string;
};

/** config.json as the deployment writes it: the staged file, its markers replaced by what they stand for. */
function publishedConfig(published: ReturnType<typeof synthesize>): unknown {
  const [, deployment] = ofType(published.resources, 'Custom::CDKBucketDeployment')[0]!;
  const sources = (deployment.Properties.SourceObjectKeys as string[]).map((key, index) => ({ dir: join(published.outdir, `asset.${key.replace(/\.zip$/, '')}`), markers: deployment.Properties.SourceMarkers[index] as Record<string, unknown> }));
  const withConfig = sources.filter((source) => existsSync(join(source.dir, 'config.json')));
  expect(withConfig).toHaveLength(1);
  let text = readFileSync(join(withConfig[0]!.dir, 'config.json'), 'utf8');
  for (const [marker, value] of Object.entries(withConfig[0]!.markers)) text = text.replaceAll(marker, arnText(value, published.template));
  return JSON.parse(text);
}

describe('without dashboardOidcClientId', () => {
  it('publishes nothing and does not need the built page', () => {
    const template = synthesizeTemplate(JWT, { dashboardPageDir: join(tmpdir(), 'fanout-no-such-page') });
    const resources = resourcesOf(template);
    expect(ofType(resources, 'Custom::CDKBucketDeployment')).toEqual([]);
    expect(ofType(resources, 'AWS::CloudFront::Function')).toEqual([]);
    expect(ofType(resources, 'AWS::S3::Bucket')).toHaveLength(Object.keys(bucketIds(template)).length + 2); // the access logs' and CloudFront's log buckets
    expect((template.toJSON().Outputs as Record<string, unknown>).DashboardUrl).toBeUndefined();
    const patterns = (distributionOf(resources).config.CacheBehaviors as Array<{ PathPattern: string }>).map((behavior) => behavior.PathPattern);
    expect(patterns.filter((pattern) => pattern.startsWith('dashboard'))).toEqual([]);
  });
});

describe('with dashboardOidcClientId', () => {
  let published: ReturnType<typeof synthesize>;
  beforeAll(() => {
    published = synthesize(PUBLISHED, builtPage());
  });

  it('keeps the page in a private, encrypted, TLS-only bucket that only this distribution reads (origin access control)', () => {
    const { resources } = published;
    const bucketId = dashboardBucketId(resources);
    const bucket = resources[bucketId]!.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.VersioningConfiguration).toBeUndefined();
    expect(bucket.LoggingConfiguration).toMatchObject({ LogFilePrefix: 'dashboard/' });

    const [, policy] = ofType(resources, 'AWS::S3::BucketPolicy').find(([, candidate]) => candidate.Properties.Bucket.Ref === bucketId)!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    expect(statements.filter((statement) => statement.Effect === 'Deny')).toContainEqual(expect.objectContaining({ Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    const distribution = distributionOf(resources);
    expect(allows[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(JSON.stringify(allows[0]!.Condition.StringEquals['AWS:SourceArn'])).toContain(distribution.id);

    const origin = (distribution.config.Origins as Array<Record<string, any>>).find((candidate) => candidate.DomainName['Fn::GetAtt']?.[0] === bucketId)!;
    expect(origin).toMatchObject({ OriginAccessControlId: { 'Fn::GetAtt': [expect.any(String), 'Id'] }, S3OriginConfig: { OriginAccessIdentity: '' } });
    expect(resources[origin.OriginAccessControlId['Fn::GetAtt'][0]]!.Properties.OriginAccessControlConfig).toMatchObject({ SigningBehavior: 'always', SigningProtocol: 'sigv4' });
  });

  it('serves dashboard/* from that bucket ahead of the renditions’ patterns, over HTTPS: the page uncached, hashed assets for a year', () => {
    const { resources } = published;
    const { config } = distributionOf(resources);
    const behaviors = config.CacheBehaviors as Array<Record<string, any>>;
    const originId = (config.Origins as Array<Record<string, any>>).find((origin) => origin.DomainName['Fn::GetAtt']?.[0] === dashboardBucketId(resources))!.Id;
    expect(behaviors.map((behavior) => behavior.PathPattern)).toEqual(['dashboard', 'dashboard/assets/*', 'dashboard/*', '*/manifest.json', '*.m3u8', '*.vtt']);
    const [bare, assets, page] = behaviors as [Record<string, any>, Record<string, any>, Record<string, any>];
    for (const behavior of [bare, assets, page]) {
      expect(behavior, behavior.PathPattern).toMatchObject({ TargetOriginId: originId, ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] });
    }
    // The renditions' own behaviours still go to the renditions bucket.
    for (const behavior of behaviors.slice(3)) expect(behavior.TargetOriginId).not.toBe(originId);

    const cacheControl = (behavior: Record<string, any>) =>
      (resources[behavior.ResponseHeadersPolicyId.Ref]!.Properties.ResponseHeadersPolicyConfig.CustomHeadersConfig.Items as Array<Record<string, unknown>>).find((header) => header.Header === 'Cache-Control');
    for (const behavior of [bare, page]) {
      expect(behavior.CachePolicyId, behavior.PathPattern).toBe(CACHING_DISABLED);
      expect(cacheControl(behavior), behavior.PathPattern).toEqual({ Header: 'Cache-Control', Value: 'no-cache', Override: true });
    }
    const assetCache = resources[assets.CachePolicyId.Ref]!.Properties.CachePolicyConfig;
    expect(assetCache).toMatchObject({ DefaultTTL: ASSET_MAX_AGE.toSeconds(), MaxTTL: ASSET_MAX_AGE.toSeconds() });
    expect(ASSET_MAX_AGE.toDays()).toBeGreaterThanOrEqual(365);
    expect(cacheControl(assets)).toEqual({ Header: 'Cache-Control', Value: `public, max-age=${ASSET_MAX_AGE.toSeconds()}, immutable`, Override: true });
    expect(assets.FunctionAssociations).toBeUndefined();
  });

  it('serves /dashboard/ as dashboard/index.html and sends /dashboard to /dashboard/ (a viewer-request function on the page’s behaviours)', () => {
    const { resources } = published;
    const [[functionId, fn]] = ofType(resources, 'AWS::CloudFront::Function') as [[string, Resource]];
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    for (const behavior of (distributionOf(resources).config.CacheBehaviors as Array<Record<string, any>>).filter((candidate) => ['dashboard', 'dashboard/*'].includes(candidate.PathPattern))) {
      expect(behavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } }]);
    }
    // The deployed code itself, run as CloudFront runs it: handler(event) returns the request or a response.
    const handler = runInNewContext(`${fn.Properties.FunctionCode as string}; handler`) as (event: unknown) => Record<string, any>;
    const view = (uri: string) => handler({ request: { method: 'GET', uri, querystring: {}, headers: {} } });
    expect(view('/dashboard/').uri).toBe('/dashboard/index.html');
    expect(view('/dashboard/config.json').uri).toBe('/dashboard/config.json');
    expect(view('/dashboard/assets/index-abc123.js').uri).toBe('/dashboard/assets/index-abc123.js');
    expect(view('/dashboard')).toEqual({ statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/dashboard/' } } });
  });

  it('deploys the built page under dashboard/ with a config.json that names the API’s URL and its OIDC issuer, client and scope', () => {
    const { resources, template } = published;
    const [, deployment] = ofType(resources, 'Custom::CDKBucketDeployment')[0]!;
    expect(deployment.Properties).toMatchObject({ DestinationBucketKeyPrefix: 'dashboard/', Prune: false });
    const config = DashboardConfig.parse(publishedConfig(published));
    const apiEndpoint = arnText((template.toJSON().Outputs as Record<string, { Value: unknown }>).ApiEndpoint!.Value, template);
    expect(config).toEqual({ apiEndpoint, auth: { kind: 'oidc', authority: JWT.apiJwtIssuer, clientId: 'dash-client', scope: 'openid' } });
    // The API's root, as the page appends /v1/… itself.
    expect(apiEndpoint).not.toMatch(/\/v1/);
    // The page's own files are in the other source.
    const staged = (deployment.Properties.SourceObjectKeys as string[]).map((key) => join(published.outdir, `asset.${key.replace(/\.zip$/, '')}`));
    expect(staged.filter((dir) => existsSync(join(dir, 'index.html'))).map((dir) => readFileSync(join(dir, 'index.html'), 'utf8'))).toEqual([expect.stringContaining('index-abc123.js')]);
  });

  it('outputs the dashboard’s URL, the one to register as the OIDC redirect URI', () => {
    const outputs = published.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.DashboardUrl!.Value).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionOf(published.resources).id, 'DomainName'] }, '/dashboard/']] });
  });

  it('leaves the API’s and the uploads’ CORS at any origin by default', () => {
    const { resources } = published;
    const [, api] = ofType(resources, 'AWS::ApiGatewayV2::Api')[0]!;
    expect(api.Properties.CorsConfiguration.AllowOrigins).toEqual(['*']);
    expect(resources[bucketIds(published.template).input]!.Properties.CorsConfiguration.CorsRules[0].AllowedOrigins).toEqual(['*']);
  });

  it('adds the distribution’s origin to narrowed apiOrigins and uploadOrigins, passes dashboardOidcScope, and warns when the client id is not an audience', () => {
    const narrowed = synthesize({ ...JWT, apiJwtAudience: 'backend', dashboardOidcClientId: 'dash-client', dashboardOidcScope: 'openid fanout/jobs', apiOrigins: 'https://app.example.com', uploadOrigins: 'https://app.example.com' }, builtPage());
    const distributionOrigin = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionOf(narrowed.resources).id, 'DomainName'] }]] };
    const [, api] = ofType(narrowed.resources, 'AWS::ApiGatewayV2::Api')[0]!;
    expect(api.Properties.CorsConfiguration.AllowOrigins).toEqual(['https://app.example.com', distributionOrigin]);
    expect(narrowed.resources[bucketIds(narrowed.template).input]!.Properties.CorsConfiguration.CorsRules[0].AllowedOrigins).toEqual(['https://app.example.com', distributionOrigin]);
    expect(DashboardConfig.parse(publishedConfig(narrowed)).auth).toMatchObject({ clientId: 'dash-client', scope: 'openid fanout/jobs' });
    narrowed.annotations.hasWarning('/Fanout', Match.stringLikeRegexp('dashboardOidcClientId dash-client is not one of apiJwtAudience \\(backend\\)'));
    published.annotations.hasNoWarning('/Fanout', Match.stringLikeRegexp('apiJwtAudience'));
  });
});

describe('refusals', () => {
  it('fails the synth when the dashboard is asked for without the API’s JWT authorizer, naming the values', () => {
    expect(() => synthesizeTemplate({ dashboardOidcClientId: 'dash-client' }, { dashboardPageDir: builtPage() })).toThrow(/dashboardOidcClientId: .*needs the API's JWT authorizer, apiJwtIssuer .* and apiJwtAudience/);
  });

  it('fails the synth when the page is not built, saying how to build it', () => {
    const missing = join(folder('fanout-dashboard-empty-'), 'dist');
    expect(() => synthesizeTemplate(PUBLISHED, { dashboardPageDir: missing })).toThrow(/not built: .*dist\/index\.html is missing\. Run `npm run build:dashboard`/);
  });
});
