/**
 * Upload events from a MinIO we did not start (MINIO_ENDPOINT): a queued webhook target named
 * `fanout` on that server, set through its admin API as `mc admin config set ALIAS
 * notify_webhook:fanout endpoint=… queue_dir=…` would. Events wait in queue_dir while our
 * receiver is down and are replayed when it is back, so keep the receiver's port stable.
 *
 * (Not ListenBucketNotification: on the pinned MinIO its stream is never flushed, so events
 * arrive late, in bursts, or not at all.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MinioAdminError, type MinioAdmin } from './minio-admin.ts';

export const EXTERNAL_WEBHOOK_TARGET = 'notify_webhook:fanout';
export const EXTERNAL_WEBHOOK_QUEUE_ARN = 'arn:minio:sqs::fanout:webhook';

const RELOAD_TIMEOUT_MS = 60_000;

/**
 * Points the server's `fanout` webhook target at `webhookEndpoint`, unless the running server
 * already has it so. Webhook targets are not dynamic config on the pinned MinIO (the server
 * answers without `x-minio-config-applied: true`): the server is then restarted once, as `mc
 * admin service restart` does, and this waits until the restarted server runs with the target.
 * With a stable receiver port this happens at the first start only.
 */
export async function configureWebhookTarget(options: { admin: MinioAdmin; webhookEndpoint: string; queueDir: string; log: (line: string) => void; serverName: string }): Promise<void> {
  const { admin, log } = options;
  const wanted = { endpoint: options.webhookEndpoint, queue_dir: options.queueDir };
  if (matches(await runningTarget(admin), wanted)) return;

  const { restartNeeded } = await admin.setConfig(`${EXTERNAL_WEBHOOK_TARGET} endpoint="${wanted.endpoint}" queue_dir="${wanted.queue_dir}"`);
  if (!restartNeeded) return;
  log(`storage: set ${EXTERNAL_WEBHOOK_TARGET} on ${options.serverName} (endpoint ${wanted.endpoint}); restarting that MinIO once to load it`);
  await admin.restart();
  const deadline = Date.now() + RELOAD_TIMEOUT_MS;
  for (;;) {
    const running = await runningTarget(admin).catch(() => undefined); // down while it restarts
    if (running !== undefined && matches(running, wanted)) return;
    if (Date.now() > deadline) throw new Error(`${options.serverName} did not come back with ${EXTERNAL_WEBHOOK_TARGET} within ${RELOAD_TIMEOUT_MS / 1000} s of its restart`);
    await sleep(250);
  }
}

/** The target's settings in the running server, or {} when it has none. */
async function runningTarget(admin: MinioAdmin): Promise<Record<string, string>> {
  try {
    return parseConfigLine(await admin.getConfig(EXTERNAL_WEBHOOK_TARGET));
  } catch (error) {
    if (error instanceof MinioAdminError && /there is no target/.test(error.message)) return {};
    throw error;
  }
}

function matches(running: Record<string, string>, wanted: Record<string, string>): boolean {
  return running.enable !== 'off' && Object.entries(wanted).every(([name, value]) => running[name] === value);
}

/** `notify_webhook:fanout endpoint=http://… queue_dir="/a b" …` → { endpoint, queue_dir, … }. */
export function parseConfigLine(line: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const match of line.matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) settings[match[1]!] = match[2] ?? match[3] ?? '';
  return settings;
}
