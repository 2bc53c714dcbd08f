/**
 * The job API on AWS: an API Gateway HTTP API in front of the `api` function, every route behind
 * an authorizer, billed per request only. By default IAM authorization: a team's backend signs
 * each request (SigV4) with its own role, which needs `execute-api:Invoke` on this API. With
 * context `apiJwtIssuer` and `apiJwtAudience` every route takes a JWT from that OIDC issuer
 * instead (a browser dashboard, or machine tokens from the issuer's client-credentials flow).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpStage, type IHttpRouteAuthorizer, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Every route the api function serves; nothing else reaches it (no `$default` route). */
export const API_ROUTES: ReadonlyArray<{ method: HttpMethod; path: string }> = [
  { method: HttpMethod.POST, path: '/v1/uploads' },
  { method: HttpMethod.GET, path: '/v1/uploads/{uploadId}' },
  { method: HttpMethod.POST, path: '/v1/uploads/{uploadId}/complete' },
  { method: HttpMethod.DELETE, path: '/v1/uploads/{uploadId}' },
  { method: HttpMethod.GET, path: '/v1/jobs' },
  { method: HttpMethod.GET, path: '/v1/jobs/{jobId}' },
  { method: HttpMethod.GET, path: '/v1/jobs/{jobId}/timeline' },
  { method: HttpMethod.DELETE, path: '/v1/jobs/{jobId}' },
  { method: HttpMethod.GET, path: '/v1/openapi.json' },
];

/** Requests per second (steady, and burst) across the stage: a leaked credential or a loop cannot run up the bill unbounded. */
export const API_THROTTLE = { rateLimit: 50, burstLimit: 100 };

export interface ApiJwtSettings {
  issuer: string;
  audience: string[];
  /** Origins a browser may call from (CORS preflight answered by API Gateway). */
  allowOrigins: string[];
}

export interface JobApiProps {
  fn: IFunction;
  /** Absent: IAM authorization (SigV4) on every route. */
  jwt?: ApiJwtSettings;
}

export class JobApi extends Construct {
  readonly httpApi: HttpApi;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: JobApiProps) {
    super(scope, id);
    const authorizer: IHttpRouteAuthorizer = props.jwt
      ? new HttpJwtAuthorizer('JwtAuthorizer', props.jwt.issuer, { jwtAudience: props.jwt.audience })
      : new HttpIamAuthorizer();
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `${Stack.of(this).stackName}-api`,
      description: 'Fanout job API: presigned uploads, jobs, playback URLs',
      createDefaultStage: false,
      // Bearer tokens from a browser need a preflight; SigV4 callers are servers and need none.
      ...(props.jwt
        ? {
            corsPreflight: {
              allowOrigins: props.jwt.allowOrigins,
              allowHeaders: ['authorization', 'content-type'],
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.DELETE],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    const integration = new HttpLambdaIntegration('ApiFunction', props.fn);
    for (const route of API_ROUTES) this.httpApi.addRoutes({ path: route.path, methods: [route.method], integration, authorizer });

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        // Who called (the IAM caller or the token's subject), what, and how it went.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.caller',
            principal: '$context.authorizer.principalId',
            subject: '$context.authorizer.claims.sub',
            error: '$context.error.message',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
  }

  /** The base URL: the `$default` stage answers at the API's root. */
  get endpoint(): string {
    return this.httpApi.apiEndpoint;
  }
}
