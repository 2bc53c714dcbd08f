/**
 * The dashboard's built page (dashboard/dist, made by Vite) and how the local host serves it:
 * at /dashboard/ on the API's own port, with a config.json that points the page at this API and
 * signs it in with the stack's key. `fanout setup` builds it (so `npm start` and `npm test` do);
 * `fanout dev` builds it when it was never built.
 */
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DASHBOARD_PATH, type DashboardConfig } from '../../shared/contracts/dashboard-config.ts';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const DASHBOARD_SOURCE = join(REPO_ROOT, 'dashboard');
export const DASHBOARD_DIST = join(DASHBOARD_SOURCE, 'dist');

export function dashboardBuilt(dist = DASHBOARD_DIST): boolean {
  return existsSync(join(dist, 'index.html'));
}

/** Vite's production build of the page, into dashboard/dist. */
export async function buildDashboard(log: (line: string) => void = () => {}): Promise<string> {
  const { build } = await import('vite');
  log('building the dashboard (Vite)…');
  await build({ configFile: join(DASHBOARD_SOURCE, 'vite.config.ts'), logLevel: 'warn' });
  return DASHBOARD_DIST;
}

/** Built, and newer than every file it is built from (the page's own and the shared contracts it imports). */
export async function dashboardUpToDate({ source = DASHBOARD_SOURCE, dist = DASHBOARD_DIST, shared = join(REPO_ROOT, 'shared') } = {}): Promise<boolean> {
  if (!dashboardBuilt(dist)) return false;
  const builtAt = (await stat(join(dist, 'index.html'))).mtimeMs;
  // The lock file too: an upgraded dependency (hls.js, media-chrome) changes the bundle.
  const sources = [join(source, 'index.html'), join(source, 'vite.config.ts'), join(source, 'src'), shared, join(source, '..', 'package-lock.json')].filter((path) => existsSync(path));
  for (const source of sources) {
    if ((await newestChange(source)) > builtAt) return false;
  }
  return true;
}

/** `fanout dev` after a `git pull`: the page is rebuilt when its sources changed, not served stale. */
export async function ensureDashboardBuilt(log: (line: string) => void = () => {}): Promise<void> {
  if (!(await dashboardUpToDate())) await buildDashboard(log);
}

async function newestChange(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  const times = await Promise.all(entries.filter((entry) => entry.isFile()).map(async (entry) => (await stat(join(entry.parentPath, entry.name))).mtimeMs));
  return Math.max(info.mtimeMs, ...times);
}

/** The URL that opens the page signed in: the key rides in the fragment, which no request carries. */
export function dashboardUrl(apiEndpoint: string, apiKey: string): string {
  return `${apiEndpoint}${DASHBOARD_PATH}#key=${encodeURIComponent(apiKey)}`;
}

/**
 * The page's routes on the local API server, before its authorizer: the page itself is public, its
 * data is not. Its config says the API is this server and the bearer key comes from the URL
 * (`config` differs only where a test serves the page as a deployment would, signing in at an issuer).
 */
export function mountDashboard(app: Hono, { dist = DASHBOARD_DIST, config = { apiEndpoint: '', auth: { kind: 'key' } } }: { dist?: string; config?: DashboardConfig } = {}): void {
  app.get('/', (c) => c.redirect(DASHBOARD_PATH));
  app.get('/dashboard', (c) => c.redirect(DASHBOARD_PATH));
  app.get(`${DASHBOARD_PATH}config.json`, (c) => c.json(config, 200, { 'Cache-Control': 'no-store' }));
  const files = serveStatic({ root: dist, rewriteRequestPath: (path) => path.slice(DASHBOARD_PATH.length - 1) });
  app.on(['GET', 'HEAD'], `${DASHBOARD_PATH}*`, async (c) => {
    if (!dashboardBuilt(dist)) return c.text('The dashboard is not built: run `npm run build:dashboard` (or `npx fanout setup`).', 503);
    // Hashed file names never change; the page that names them must be read fresh.
    c.header('Cache-Control', c.req.path.startsWith(`${DASHBOARD_PATH}assets/`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    const served = await files(c, async () => {});
    return served ?? c.json({ code: 'NOT_FOUND', message: `no file ${c.req.path}` }, 404);
  });
}
