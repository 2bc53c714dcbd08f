/**
 * The dashboard on AWS: the built page (dashboard/dist) in a private bucket of its own, served
 * at https://<playback distribution>/dashboard/ through origin access control, with the
 * `config.json` that tells it the API's URL and how to sign in (OIDC: the browser has no AWS
 * credentials to sign SigV4 with, so it takes an access token from the API's JWT issuer).
 *
 * Two steps, because the distribution and the API need each other's names: the construct makes
 * the bucket and the behaviours the distribution starts with (matched before the renditions'
 * own), and `publish` deploys the page once the API's URL exists. Nothing here runs or bills
 * while idle: the deployment's function runs at deploy time only, the viewer function per request.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AllowedMethods,
  type BehaviorOptions,
  CachedMethods,
  CachePolicy,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  Function as ViewerFunction,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { DASHBOARD_PATH, DashboardConfig } from '../../shared/contracts/dashboard-config.ts';
import { repoRoot } from './bundling.ts';

/** Where `npm run build:dashboard` writes the page. */
export const DASHBOARD_PAGE_DIR = join(repoRoot, 'dashboard', 'dist');

/** `dashboard/` in the bucket and in CloudFront's path patterns (which take no leading slash). */
const PREFIX = DASHBOARD_PATH.slice(1);

/** The page's behaviours, most specific first: the bare path, the hashed assets, everything else. */
export const DASHBOARD_PATH_PATTERNS = { bare: PREFIX.slice(0, -1), assets: `${PREFIX}assets/*`, page: `${PREFIX}*` } as const;

/** Vite names every file under assets/ after its content hash: a new build is new names. */
export const ASSET_MAX_AGE = Duration.days(365);

/**
 * S3 behind origin access control serves keys, not index documents: `/dashboard/` (and any
 * folder path) gets its index.html, and `/dashboard` is sent to `/dashboard/` so the page's
 * relative asset paths resolve. CloudFront Functions' runtime: ES5 plus a few later features.
 */
export const INDEX_FUNCTION_CODE = `function handler(event) {
  var request = event.request;
  if (request.uri === '${DASHBOARD_PATH.slice(0, -1)}') {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '${DASHBOARD_PATH}' } } };
  }
  if (request.uri.endsWith('/')) request.uri += 'index.html';
  return request;
}`;

export interface DashboardSiteProps {
  /** The built page: a folder holding index.html and assets/. */
  pageDir: string;
  /** Where the bucket's server access logs go. */
  serverAccessLogs: IBucket;
}

export class DashboardSite extends Construct {
  readonly bucket: Bucket;
  /** For the distribution's `additionalBehaviors`, ahead of the renditions' patterns. */
  readonly behaviors: Record<string, BehaviorOptions>;
  private readonly pageDir: string;

  constructor(scope: Construct, id: string, props: DashboardSiteProps) {
    super(scope, id);
    if (!existsSync(join(props.pageDir, 'index.html'))) {
      throw new Error(
        `the dashboard is published (context dashboardOidcClientId) but it is not built: ${join(props.pageDir, 'index.html')} is missing. Run \`npm run build:dashboard\`, then synth or deploy again.`,
      );
    }
    this.pageDir = props.pageDir;

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Like the stack's other buckets; the page is rebuilt from the repository, so nothing here needs versions.
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: props.serverAccessLogs,
      serverAccessLogsPrefix: 'dashboard/',
    });

    const indexDocument = new ViewerFunction(this, 'IndexDocument', {
      comment: `Fanout dashboard: ${DASHBOARD_PATH} serves ${DASHBOARD_PATH}index.html`,
      code: FunctionCode.fromInline(INDEX_FUNCTION_CODE),
      runtime: FunctionRuntime.JS_2_0,
    });
    const security = {
      strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
      // The OIDC callback's ?code= stays on this origin.
      referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
    };
    const headers = (policyId: string, comment: string, cacheControl: string) =>
      new ResponseHeadersPolicy(this, policyId, {
        comment,
        securityHeadersBehavior: security,
        // What the browser keeps: S3 sends no Cache-Control of its own.
        customHeadersBehavior: { customHeaders: [{ header: 'Cache-Control', value: cacheControl, override: true }] },
      });
    const pageHeaders = headers('PageHeaders', 'Fanout dashboard: index.html and config.json, revalidated on every load', 'no-cache');
    const assetHeaders = headers('AssetHeaders', 'Fanout dashboard: content-hashed assets, immutable', `public, max-age=${ASSET_MAX_AGE.toSeconds()}, immutable`);
    const assetCache = new CachePolicy(this, 'AssetCache', {
      comment: 'Fanout dashboard assets: named by content hash, immutable',
      minTtl: Duration.seconds(0),
      defaultTtl: ASSET_MAX_AGE,
      maxTtl: ASSET_MAX_AGE,
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });

    const origin = S3BucketOrigin.withOriginAccessControl(this.bucket);
    const common = {
      origin,
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
      cachedMethods: CachedMethods.CACHE_GET_HEAD,
      compress: true,
    };
    // index.html and config.json are not kept at the edge: a deploy shows at once, and a page load is one small GET.
    const page: BehaviorOptions = {
      ...common,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      responseHeadersPolicy: pageHeaders,
      functionAssociations: [{ function: indexDocument, eventType: FunctionEventType.VIEWER_REQUEST }],
    };
    this.behaviors = {
      [DASHBOARD_PATH_PATTERNS.bare]: page,
      [DASHBOARD_PATH_PATTERNS.assets]: { ...common, cachePolicy: assetCache, responseHeadersPolicy: assetHeaders },
      [DASHBOARD_PATH_PATTERNS.page]: page,
    };
  }

  /** Uploads the page under dashboard/, with its config.json (checked against the page's contract first). */
  publish(config: DashboardConfig): BucketDeployment {
    const checked = DashboardConfig.parse(config);
    return new BucketDeployment(this, 'Page', {
      // config.json last: it replaces any the build left (a development placeholder).
      sources: [Source.asset(this.pageDir), Source.jsonData('config.json', checked)],
      destinationBucket: this.bucket,
      destinationKeyPrefix: PREFIX,
      // A page loaded before a deploy may still fetch its lazily loaded chunks: old hashed files stay (a few hundred KB).
      prune: false,
      logGroup: new LogGroup(this, 'DeploymentLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    });
  }
}
