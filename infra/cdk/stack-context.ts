/**
 * What a deployer may set with `cdk deploy -c name=value` (or cdk.json's context), read once and
 * checked: a half-configured option (a JWT issuer without an audience, a key pair without its
 * private key) fails the synth, naming the values, rather than deploying something half-open.
 */
import { PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import type { Node } from 'constructs';
import { z } from 'zod';
import { parseQualityTarget } from '../../shared/contracts/quality.ts';

const commaSeparated = z
  .string()
  .transform((text) => text.split(',').map((part) => part.trim()).filter(Boolean));

const ContextValues = z.object({
  /** An OIDC issuer URL: every API route takes its JWTs instead of IAM (SigV4). */
  apiJwtIssuer: z.url().optional(),
  /** The audiences (client ids) a JWT must name, comma-separated. */
  apiJwtAudience: commaSeparated.pipe(z.array(z.string()).min(1)).optional(),
  /** Origins a browser may call the API from, with a JWT (comma-separated). */
  apiOrigins: commaSeparated.pipe(z.array(z.string()).min(1)).default(['*']),
  /** Origins whose browsers may PUT uploads straight into the input bucket (comma-separated). */
  uploadOrigins: commaSeparated.pipe(z.array(z.string()).min(1)).default(['*']),
  /** A CloudFront key group id: playback then needs signed URLs or cookies. */
  playbackKeyGroupId: z.string().min(1).optional(),
  /** The public key id the api function signs playback URLs with, and the SSM parameter holding its private key. */
  playbackKeyPairId: z.string().min(1).optional(),
  playbackPrivateKeyParameter: z.string().min(1).optional(),
  playbackPriceClass: z.enum([PriceClass.PRICE_CLASS_100, PriceClass.PRICE_CLASS_200, PriceClass.PRICE_CLASS_ALL]).default(PriceClass.PRICE_CLASS_100),
  /** Where every job event is POSTed, comma-separated. */
  webhookUrls: commaSeparated.pipe(z.array(z.url())).default([]),
  /** The SSM SecureString parameter holding the webhooks' `whsec_…` secret. */
  webhookSecretParameter: z.string().min(1).default('/fanout/webhook-secret'),
  /** The dashboard's OIDC client id at the apiJwtIssuer: when set, the page is published at https://<playback domain>/dashboard/. */
  dashboardOidcClientId: z.string().min(1).optional(),
  /** The scopes the dashboard asks for, space-separated (an issuer whose access tokens name an API in `aud` wants that API's scope). */
  dashboardOidcScope: z.string().min(1).default('openid'),
  /** `ssim:0.98` (or `vmaf:93`, the deployed ffmpeg has libvmaf): each chunk of each rung encoded to it, rungs that add nothing dropped. Checked here, so a typo fails the synth. */
  qualityTarget: z.string().refine((text) => {
    try {
      parseQualityTarget(text);
      return true;
    } catch {
      return false;
    }
  }, 'a quality target is ssim:<0..1> or vmaf:<0..100>, as in ssim:0.98').optional(),
});

export const StackContext = ContextValues.refine((context) => (context.apiJwtIssuer === undefined) === (context.apiJwtAudience === undefined), {
  message: 'apiJwtIssuer and apiJwtAudience go together',
  path: ['apiJwtAudience'],
})
  .refine((context) => (context.playbackKeyPairId === undefined) === (context.playbackPrivateKeyParameter === undefined), {
    message: 'playbackKeyPairId and playbackPrivateKeyParameter go together',
    path: ['playbackPrivateKeyParameter'],
  })
  .refine((context) => context.playbackKeyPairId === undefined || context.playbackKeyGroupId !== undefined, {
    message: 'signing playback URLs (playbackKeyPairId) means nothing unless the distribution trusts a key group (playbackKeyGroupId)',
    path: ['playbackKeyGroupId'],
  })
  .refine((context) => context.dashboardOidcClientId === undefined || (context.apiJwtIssuer !== undefined && context.apiJwtAudience !== undefined), {
    message:
      'the dashboard (dashboardOidcClientId) signs in with OIDC and calls the API with the access token: it needs the API\'s JWT authorizer, apiJwtIssuer (the issuer URL) and apiJwtAudience (normally including the dashboard\'s client id)',
    path: ['dashboardOidcClientId'],
  });
export type StackContext = z.infer<typeof StackContext>;

export const STACK_CONTEXT_KEYS = Object.keys(ContextValues.shape) as Array<keyof StackContext>;

export function readStackContext(node: Node): StackContext {
  const values = Object.fromEntries(STACK_CONTEXT_KEYS.map((key) => [key, node.tryGetContext(key) as unknown]).filter(([, value]) => value !== undefined));
  const parsed = StackContext.safeParse(values);
  if (parsed.success) return parsed.data;
  throw new Error(`invalid context: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
}
