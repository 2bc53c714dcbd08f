/**
 * `config.json`, served beside the dashboard's index.html: where the page finds the job API and
 * how it signs in. The local host answers it itself (same origin, the bearer key from the URL's
 * fragment); the CDK app publishes it with the deployed page (the API's URL, its OIDC issuer).
 */
import { z } from 'zod';

/** The page's path on both hosts: the local API server and the CloudFront distribution. */
export const DASHBOARD_PATH = '/dashboard/';

export const DashboardAuth = z.discriminatedUnion('kind', [
  /** The local host's bearer key: `dashboardUrl` carries it in the fragment (`#key=…`), never sent to a server. */
  z.object({ kind: z.literal('key') }),
  /** The deployed API's JWT authorizer: sign in at the issuer (authorization code with PKCE), send the access token. */
  z.object({ kind: z.literal('oidc'), authority: z.url(), clientId: z.string().min(1), scope: z.string().default('openid') }),
]);
export type DashboardAuth = z.infer<typeof DashboardAuth>;

export const DashboardConfig = z.object({
  /** The API's base URL, without `/v1`; empty for the page's own origin. */
  apiEndpoint: z.string(),
  auth: DashboardAuth,
});
export type DashboardConfig = z.infer<typeof DashboardConfig>;
