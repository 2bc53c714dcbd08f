/**
 * How the local host serves the dashboard (infra/local/dashboard-site.ts), on a built page in a
 * folder of its own: the page public and its data not, config.json pointing the page at this API
 * with the key sign-in, index.html read fresh and hashed assets kept; and `fanout dev` after a
 * `git pull` rebuilding a page whose sources changed, not serving the stale one.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardConfig } from '../../shared/contracts/dashboard-config.ts';
import { dashboardUpToDate, mountDashboard } from '../../infra/local/dashboard-site.ts';

let root: string;
const source = () => join(root, 'dashboard');
const dist = () => join(root, 'dashboard', 'dist');
const shared = () => join(root, 'shared');

/** A page tree as the repository holds it, built at `builtAt` and last edited at `editedAt` (epoch seconds). */
async function pageTree({ builtAt, editedAt }: { builtAt: number; editedAt: number }): Promise<void> {
  await rm(root, { recursive: true, force: true });
  await mkdir(join(dist(), 'assets'), { recursive: true });
  await mkdir(join(source(), 'src', 'jobs'), { recursive: true });
  await mkdir(shared(), { recursive: true });
  const sources = [join(source(), 'index.html'), join(source(), 'vite.config.ts'), join(source(), 'src', 'main.tsx'), join(source(), 'src', 'jobs', 'job-list.tsx'), join(shared(), 'format-bytes.ts')];
  for (const file of sources) {
    await writeFile(file, '// source\n');
    await utimes(file, editedAt, editedAt);
  }
  await writeFile(join(dist(), 'index.html'), '<!doctype html><title>Fanout</title><script src="./assets/index-abc123.js"></script>');
  await writeFile(join(dist(), 'assets', 'index-abc123.js'), 'console.log("page")');
  await utimes(join(dist(), 'index.html'), builtAt, builtAt);
}

/** The local API server's order: the page's routes, then the bearer key for everything else. */
function server(): Hono {
  const app = new Hono();
  mountDashboard(app, { dist: dist() });
  app.use('*', async (c, next) => (c.req.header('authorization') === 'Bearer key' ? next() : c.json({ code: 'UNAUTHORIZED' }, 401)));
  app.get('/v1/jobs', (c) => c.json({ jobs: [] }));
  return app;
}

describe('the dashboard on the local host', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'fanout-local-dashboard-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('serves the page without the key, its data only with it, and index.html fresh while hashed assets are kept', async () => {
    await pageTree({ builtAt: 2_000_000_000, editedAt: 1_000_000_000 });
    const app = server();

    const page = await app.request('/dashboard/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('index-abc123.js');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const asset = await app.request('/dashboard/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await app.request('/v1/jobs')).status).toBe(401);
    expect((await app.request('/dashboard')).headers.get('location')).toBe('/dashboard/');
    expect((await app.request('/dashboard/no-such-file.js')).status).toBe(404);
  });

  it('answers config.json with this API (same origin) and the key sign-in, never cached', async () => {
    await pageTree({ builtAt: 2_000_000_000, editedAt: 1_000_000_000 });
    const response = await server().request('/dashboard/config.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(DashboardConfig.parse(await response.json())).toEqual({ apiEndpoint: '', auth: { kind: 'key' } });
  });

  it('says how to build the page when it is not built', async () => {
    await rm(root, { recursive: true, force: true });
    const response = await server().request('/dashboard/');
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run build:dashboard');
  });

  it('calls a build stale when any page source or shared module changed after it, current otherwise', async () => {
    const paths = { source: source(), dist: dist(), shared: shared() };
    await pageTree({ builtAt: 2_000_000_000, editedAt: 1_000_000_000 });
    expect(await dashboardUpToDate(paths)).toBe(true);

    for (const edited of [join(source(), 'src', 'jobs', 'job-list.tsx'), join(shared(), 'format-bytes.ts'), join(source(), 'index.html')]) {
      await pageTree({ builtAt: 2_000_000_000, editedAt: 1_000_000_000 });
      await utimes(edited, 2_000_000_100, 2_000_000_100);
      expect(await dashboardUpToDate(paths), edited).toBe(false);
    }
    await rm(dist(), { recursive: true, force: true });
    expect(await dashboardUpToDate(paths)).toBe(false);
  });
});
