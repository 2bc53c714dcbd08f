/** `fanout dev`'s webhook configuration from FANOUT_WEBHOOK_URL and FANOUT_WEBHOOK_SECRET, in a real temp state dir. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { webhooksFromEnv } from '../../infra/cli/commands/webhook-config.ts';
import { generateWebhookSecret } from '../../shared/webhooks/sign-webhook.ts';

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'fanout-webhook-config-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('webhooksFromEnv', () => {
  it('has no webhooks without FANOUT_WEBHOOK_URL', async () => {
    expect(await webhooksFromEnv(stateDir, {})).toEqual({ webhooks: [] });
  });

  it('uses FANOUT_WEBHOOK_SECRET for every URL of the list', async () => {
    const secret = generateWebhookSecret();
    expect(await webhooksFromEnv(stateDir, { FANOUT_WEBHOOK_URL: 'http://localhost:3000/a, https://example.com/b', FANOUT_WEBHOOK_SECRET: secret })).toEqual({
      webhooks: [
        { url: 'http://localhost:3000/a', secret },
        { url: 'https://example.com/b', secret },
      ],
    });
  });

  it('generates a secret for URLs without one, keeps it (mode 0600) and reuses it at the next start', async () => {
    const first = await webhooksFromEnv(stateDir, { FANOUT_WEBHOOK_URL: 'http://localhost:3000/a' });
    expect(first.secretFile).toBe(join(stateDir, 'webhook-secret'));
    expect(first.webhooks[0]!.secret).toMatch(/^whsec_/);
    expect((await readFile(first.secretFile!, 'utf8')).trim()).toBe(first.webhooks[0]!.secret);
    expect((await stat(first.secretFile!)).mode & 0o777).toBe(0o600);
    const again = await webhooksFromEnv(stateDir, { FANOUT_WEBHOOK_URL: 'http://localhost:3000/a' });
    expect(again.webhooks[0]!.secret).toBe(first.webhooks[0]!.secret);
  });

  it.each([
    [{ FANOUT_WEBHOOK_URL: 'not a url' }, /FANOUT_WEBHOOK_URL/],
    [{ FANOUT_WEBHOOK_URL: 'ftp://example.com/x' }, /FANOUT_WEBHOOK_URL/],
    [{ FANOUT_WEBHOOK_URL: 'http://localhost/a', FANOUT_WEBHOOK_SECRET: 'hunter2' }, /FANOUT_WEBHOOK_SECRET/],
  ])('refuses %o, naming the variable', async (env, message) => {
    await expect(webhooksFromEnv(stateDir, env)).rejects.toThrow(message);
  });
});
