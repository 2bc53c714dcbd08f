/**
 * `fanout dev`'s webhooks, from the environment: FANOUT_WEBHOOK_URL (one URL, or several,
 * comma-separated) and FANOUT_WEBHOOK_SECRET (`whsec_…`). URLs without a secret get one,
 * generated once and kept in `<stateDir>/webhook-secret` (mode 0600), so a receiver configured
 * with it keeps verifying across restarts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { generateWebhookSecret, isWebhookSecret } from '../../../shared/webhooks/sign-webhook.ts';
import type { WebhookTarget } from '../../local/events/local-events.ts';

export const WEBHOOK_SECRET_FILE = 'webhook-secret';

const WebhookUrls = z
  .string()
  .transform((text) => text.split(',').map((url) => url.trim()).filter(Boolean))
  .pipe(z.array(z.url({ protocol: /^https?$/ })));

export interface WebhookConfig {
  webhooks: WebhookTarget[];
  /** Where the generated secret is kept; undefined when FANOUT_WEBHOOK_SECRET gave it. */
  secretFile?: string;
}

export async function webhooksFromEnv(stateDir: string, env: Record<string, string | undefined> = process.env): Promise<WebhookConfig> {
  const urls = WebhookUrls.safeParse(env.FANOUT_WEBHOOK_URL ?? '');
  if (!urls.success) throw new Error(`FANOUT_WEBHOOK_URL: expected http(s) URLs, comma-separated: ${z.prettifyError(urls.error)}`);
  if (urls.data.length === 0) return { webhooks: [] };
  if (env.FANOUT_WEBHOOK_SECRET) {
    if (!isWebhookSecret(env.FANOUT_WEBHOOK_SECRET)) throw new Error('FANOUT_WEBHOOK_SECRET: expected whsec_ followed by 24 to 64 bytes in base64');
    return { webhooks: urls.data.map((url) => ({ url, secret: env.FANOUT_WEBHOOK_SECRET! })) };
  }
  const secretFile = join(stateDir, WEBHOOK_SECRET_FILE);
  const kept = (await readFile(secretFile, 'utf8').catch(() => '')).trim();
  const secret = isWebhookSecret(kept) ? kept : generateWebhookSecret();
  if (secret !== kept) await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
  return { webhooks: urls.data.map((url) => ({ url, secret })), secretFile };
}
