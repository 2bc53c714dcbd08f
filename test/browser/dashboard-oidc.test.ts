/**
 * The deployed dashboard's sign-in, in a real browser: the page as the CDK app publishes it (its
 * config.json naming an OIDC issuer and the API on another origin), a real OpenID provider
 * (oidc-provider, with its development login and consent pages), Debian's Chromium. The page must
 * send the person to the issuer, come back with an authorization code, redeem it with PKCE, and
 * call the API with the access token.
 *
 * The API here stands in for API Gateway's JWT authorizer, which cannot run here: it checks what
 * that authorizer checks (the signature against the issuer's JWKS, the issuer, the audience, the
 * expiry) and answers an empty job list. Everything else is the real thing.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import Provider from 'oidc-provider';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardBuilt, mountDashboard } from '../../infra/local/dashboard-site.ts';
import { findFreePort } from '../../infra/local/storage/find-free-port.ts';
import { DASHBOARD_PATH } from '../../shared/contracts/dashboard-config.ts';
import { JobList } from '../../shared/contracts/api.ts';

const CHROMIUM = '/usr/bin/chromium';
// Skipping is for a developer's machine without Chromium; in CI a missing browser fails.
const runnable = existsSync(CHROMIUM) || process.env.CI === 'true';
const CLIENT_ID = 'fanout-dashboard';

let issuerServer: Server;
let site: ServerType;
let api: ServerType;
let browser: Browser;
let issuer: string;
let pageUrl: string;
let audience: string;
/** Every bearer token the API was sent, and what its check said. */
const calls: Array<{ token: string | undefined; verified: boolean; claims?: Record<string, unknown> }> = [];

function listen(app: Hono, port: number): Promise<ServerType> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(server));
  });
}

describe.skipIf(!runnable)('the deployed dashboard signs in at an OIDC issuer (Chromium, oidc-provider)', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package`);
    if (!dashboardBuilt()) throw new Error('the dashboard is not built: the test command builds it (fanout setup)');
    const [issuerPort, sitePort, apiPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
    issuer = `http://127.0.0.1:${issuerPort}`;
    const siteOrigin = `http://127.0.0.1:${sitePort}`;
    pageUrl = `${siteOrigin}${DASHBOARD_PATH}`;
    const apiEndpoint = `http://127.0.0.1:${apiPort}`;
    audience = apiEndpoint;

    // The issuer: a public client (no secret, PKCE), JWT access tokens for the API's audience.
    const provider = new Provider(issuer, {
      clients: [{ client_id: CLIENT_ID, token_endpoint_auth_method: 'none', redirect_uris: [pageUrl], post_logout_redirect_uris: [pageUrl], response_types: ['code'], grant_types: ['authorization_code'] }],
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => audience,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({ scope: 'openid', audience, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
        },
      },
      clientBasedCORS: () => true,
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
      findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    });
    issuerServer = createServer(provider.callback());
    await new Promise<void>((resolve) => issuerServer.listen(issuerPort, '127.0.0.1', resolve));

    // The page as published: config.json names the issuer and the API on its own origin.
    const siteApp = new Hono();
    mountDashboard(siteApp, { config: { apiEndpoint, auth: { kind: 'oidc', authority: issuer, clientId: CLIENT_ID, scope: 'openid' } } });
    site = await listen(siteApp, sitePort);

    // API Gateway's JWT authorizer, as far as a token goes; the CORS it is deployed with (the page's origin).
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const apiApp = new Hono();
    apiApp.use('*', cors({ origin: siteOrigin, allowHeaders: ['authorization', 'content-type'] }));
    apiApp.get('/v1/jobs', async (c) => {
      const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
      try {
        const { payload } = await jwtVerify(token ?? '', jwks, { issuer, audience });
        calls.push({ token, verified: true, claims: payload });
      } catch {
        calls.push({ token, verified: false });
        return c.json({ message: 'Unauthorized' }, 401);
      }
      return c.json(JobList.parse({ jobs: [], nextCursor: null }));
    });
    api = await listen(apiApp, apiPort);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    site?.close();
    api?.close();
    issuerServer?.closeAllConnections();
    issuerServer?.close();
  });

  it('sends the person to the issuer, comes back with a code redeemed by PKCE, and calls the API with a token its authorizer accepts', async () => {
    const page = await browser.newPage();
    await page.goto(pageUrl);

    // The issuer's own sign-in page, not the dashboard's: the page left for the authorization endpoint.
    await page.waitForURL((url) => url.origin === issuer, { timeout: 30_000 });
    await page.locator('input[name="login"]').fill('ada@example.com');
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    // Consent for the dashboard's client, then back.
    await page.locator('button[type="submit"]').click();

    await page.waitForURL((url) => url.href.startsWith(pageUrl), { timeout: 30_000 });
    await page.getByText('No jobs yet').waitFor({ timeout: 30_000 });
    // The code and state leave the address bar once redeemed.
    expect(new URL(page.url()).search).toBe('');

    const accepted = calls.filter((call) => call.verified);
    expect(accepted.length).toBeGreaterThan(0);
    expect(calls.every((call) => call.verified)).toBe(true);
    expect(accepted[0]!.claims).toMatchObject({ iss: issuer, aud: audience, sub: 'ada@example.com', client_id: CLIENT_ID });
    await page.close();
  });

  it('a token the issuer did not sign is refused by the same check (the check can fail)', async () => {
    const forged = ['{"alg":"none"}', JSON.stringify({ iss: issuer, aud: audience, sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 60 })].map((part) => Buffer.from(part).toString('base64url')).join('.') + '.';
    const response = await fetch(`${audience}/v1/jobs`, { headers: { authorization: `Bearer ${forged}` } });
    expect(response.status).toBe(401);
    expect(calls.at(-1)).toMatchObject({ verified: false });
  });
});
