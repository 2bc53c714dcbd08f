/**
 * Playback: a CloudFront distribution in front of the renditions bucket. The bucket stays private;
 * CloudFront reads it through origin access control (a bucket policy naming this distribution).
 * HTTPS only, CORS for web players, caching fit for VOD: a job's renditions never change once
 * written (a new upload is a new job id), its manifest may be rewritten (a failed job's finalizer).
 * CloudFront bills per request and per GB out: nothing while idle.
 *
 * Optionally restricted: with context `playbackKeyGroupId` (a key group the deployer created with
 * the public key) every behaviour trusts only URLs or cookies signed by that key group.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AllowedMethods,
  type BehaviorOptions,
  CachedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  type IKeyGroup,
  KeyGroup,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, type IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Files CloudFront compresses: playlists, captions, the manifest. Media (MP4, fMP4 segments, images) are compressed already. */
export const COMPRESSED_PATH_PATTERNS = ['*.m3u8', '*.vtt', '*/manifest.json'] as const;
/** The one object that may change: a job's manifest (the finalizer writes a failed job's). */
export const MANIFEST_PATH_PATTERN = '*/manifest.json';

/** What a player sends cross-origin (Range for MP4 seeking) and must be able to read back. */
export const PLAYER_REQUEST_HEADERS = ['Range', 'Origin', 'Accept'];
export const PLAYER_EXPOSED_HEADERS = ['Content-Length', 'Content-Range', 'Accept-Ranges', 'ETag'];

/** How long an edge keeps a rendition: they are immutable, so as long as CloudFront allows. */
export const IMMUTABLE_TTL = Duration.days(365);
/** How long an edge keeps a manifest: a minute at most, so a job's outcome shows promptly. */
export const MANIFEST_TTL = { default: Duration.seconds(10), max: Duration.minutes(1) };

export interface PlaybackCdnProps {
  /** Gets a CORS rule too: S3 answers the players' preflights itself. */
  renditions: Bucket;
  /** Where the distribution's own access logs go (a bucket of their own: CloudFront's logging writes with ACLs). */
  serverAccessLogs: IBucket;
  /** A CloudFront key group id: when set, only signed URLs or cookies play. */
  keyGroupId?: string;
  priceClass?: PriceClass;
  /** Behaviours matched before the renditions' own, in order (the dashboard's page: infra/cdk/dashboard-site.ts). */
  leadingBehaviors?: Record<string, BehaviorOptions>;
}

export class PlaybackCdn extends Construct {
  readonly distribution: Distribution;
  readonly keyGroup?: IKeyGroup;

  constructor(scope: Construct, id: string, props: PlaybackCdnProps) {
    super(scope, id);
    this.keyGroup = props.keyGroupId ? KeyGroup.fromKeyGroupId(this, 'KeyGroup', props.keyGroupId) : undefined;

    // Web players fetch cross-origin (hls.js, dash.js, video.js over XHR/fetch, with Range for MP4).
    const cors = new ResponseHeadersPolicy(this, 'PlayerCors', {
      comment: 'Fanout playback: any origin may play (the URL, or its signature, is the capability)',
      corsBehavior: {
        accessControlAllowOrigins: ['*'],
        accessControlAllowMethods: ['GET', 'HEAD', 'OPTIONS'],
        accessControlAllowHeaders: PLAYER_REQUEST_HEADERS,
        accessControlExposeHeaders: PLAYER_EXPOSED_HEADERS,
        accessControlAllowCredentials: false,
        accessControlMaxAge: Duration.days(1),
        originOverride: true,
      },
    });
    const policy = (policyId: string, comment: string, ttl: { min: Duration; default: Duration; max: Duration }, compress: boolean) =>
      new CachePolicy(this, policyId, {
        comment,
        minTtl: ttl.min,
        defaultTtl: ttl.default,
        maxTtl: ttl.max,
        // No query string, header or cookie in the cache key (the default): a signed URL's own
        // parameters are checked by CloudFront, so every viewer shares one cached copy.
        enableAcceptEncodingGzip: compress,
        enableAcceptEncodingBrotli: compress,
      });
    const immutable = { min: Duration.seconds(0), default: IMMUTABLE_TTL, max: IMMUTABLE_TTL };
    const media = policy('ImmutableMedia', 'Fanout renditions (MP4, segments, images): immutable once written', immutable, false);
    const text = policy('ImmutableText', 'Fanout playlists and captions: immutable once written, compressed', immutable, true);
    const manifest = policy('Manifest', 'Fanout manifest.json: rewritten when a job fails after the fact', { min: Duration.seconds(0), default: MANIFEST_TTL.default, max: MANIFEST_TTL.max }, true);

    const origin = S3BucketOrigin.withOriginAccessControl(props.renditions);
    const behavior = (cachePolicy: CachePolicy, compress: boolean): BehaviorOptions => ({
      origin,
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachedMethods: CachedMethods.CACHE_GET_HEAD_OPTIONS,
      cachePolicy,
      responseHeadersPolicy: cors,
      compress,
      ...(this.keyGroup ? { trustedKeyGroups: [this.keyGroup] } : {}),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Fanout playback: the renditions bucket',
      defaultBehavior: behavior(media, false),
      additionalBehaviors: {
        // More specific first: CloudFront matches behaviours in order.
        ...props.leadingBehaviors,
        [MANIFEST_PATH_PATTERN]: behavior(manifest, true),
        '*.m3u8': behavior(text, true),
        '*.vtt': behavior(text, true),
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: playbackLogBucket(this, props.serverAccessLogs),
      logFilePrefix: 'cloudfront/',
    });

    // The preflight (OPTIONS) reaches S3 itself, which answers it only from a CORS rule of its own.
    props.renditions.addCorsRule({ allowedMethods: [HttpMethods.GET, HttpMethods.HEAD], allowedOrigins: ['*'], allowedHeaders: PLAYER_REQUEST_HEADERS, exposedHeaders: PLAYER_EXPOSED_HEADERS, maxAge: 86_400 });
  }

  get domainName(): string {
    return this.distribution.distributionDomainName;
  }
}

/**
 * CloudFront's standard logs: the one bucket here with ACLs enabled (BucketOwnerPreferred), since
 * CloudFront writes log files with an ACL; private, encrypted, expired after 90 days like the others.
 */
function playbackLogBucket(scope: Construct, serverAccessLogs: IBucket): Bucket {
  return new Bucket(scope, 'Logs', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: BucketEncryption.S3_MANAGED,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
    removalPolicy: RemovalPolicy.RETAIN,
    serverAccessLogsBucket: serverAccessLogs,
    serverAccessLogsPrefix: 'cloudfront-logs/',
    lifecycleRules: [{ expiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
  });
}
