/**
 * The job API on the local host: the Lambda's own app (functions/api) behind what API Gateway
 * and CloudFront do on AWS. A bearer key in front of every route (generated at first start,
 * kept in `<stateDir>/api-key`, mode 0600), CORS for browser clients, and playback of a job's
 * renditions at `/play/<token>/<jobId>/<key>`, where the token is an HMAC of the job id under
 * the key: a capability in the path, which HLS's relative URIs keep.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ApiEnv, loadConfig } from '../../shared/config.ts';
import { keys } from '../../shared/keys.ts';
import { sdkErrorKind } from '../../shared/sdk-error-kind.ts';
import { createApi } from '../../functions/api/create-api.ts';
import { encodeKey, type PlaybackPort } from '../../functions/api/playback.ts';
import { dashboardUrl, mountDashboard } from './dashboard-site.ts';

export const API_KEY_FILE = 'api-key';

export interface ApiServerOptions {
  stateDir: string;
  /** The api function's environment as the local host runs it (buckets, state machine, limits). */
  environment: Record<string, string>;
  s3: S3Client;
  sfn: SFNClient;
  port: number;
  log?: (line: string) => void;
}

export interface ApiServer {
  endpoint: string;
  apiKey: string;
  /** The dashboard, opened signed in (the key in the URL's fragment). */
  dashboardUrl: string;
  keyFile: string;
  close(): Promise<void>;
}

/** The key made at first start and reused after: a saved `curl -H "Authorization: Bearer …"` keeps working. */
export async function loadOrCreateApiKey(stateDir: string): Promise<{ apiKey: string; keyFile: string }> {
  const keyFile = join(stateDir, API_KEY_FILE);
  const existing = await readFile(keyFile, 'utf8').catch(() => '');
  if (existing.trim() !== '') return { apiKey: existing.trim(), keyFile };
  const apiKey = randomBytes(32).toString('base64url');
  await writeFile(keyFile, apiKey, { mode: 0o600, flag: 'wx' }).catch(async (error: unknown) => {
    // Another start wrote it first: use theirs.
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  });
  return { apiKey: (await readFile(keyFile, 'utf8')).trim(), keyFile };
}

/** Equal-length digests compared in constant time: neither the key nor its length leaks through timing. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function playbackToken(apiKey: string, jobId: string): string {
  return createHmac('sha256', apiKey).update(jobId).digest('base64url');
}

/** Local playback URLs: the job's capability token, then the object's key. */
export function localPlayback(endpoint: string, apiKey: string): PlaybackPort {
  return {
    async forJob(jobId) {
      const prefix = `${endpoint}/play/${playbackToken(apiKey, jobId)}/`;
      return { url: (key) => `${prefix}${encodeKey(key)}` };
    },
  };
}

/** A path that is not valid percent-encoding names no file (decodeURIComponent would throw: a 500). */
function decodedOrUndefined(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.vtt': 'text/vtt; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.png': 'image/png',
  '.json': 'application/json',
};

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { apiKey, keyFile } = await loadOrCreateApiKey(options.stateDir);
  const endpoint = `http://127.0.0.1:${options.port}`;
  const config = loadConfig(ApiEnv, options.environment);
  const api = createApi({
    config,
    s3: options.s3,
    sfn: options.sfn,
    playback: localPlayback(endpoint, apiKey),
    onError: (error) => options.log?.(`api: ${String(error)}`),
  });

  const app = new Hono();
  // Browser clients send the key as a header (no cookies), so any origin may call.
  app.use('/v1/*', cors({ origin: '*', allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'], maxAge: 600 }));
  app.use('/play/*', cors({ origin: '*', allowMethods: ['GET', 'HEAD'], exposeHeaders: ['Content-Length', 'Content-Range', 'Accept-Ranges'] }));

  app.on(['GET', 'HEAD'], '/play/:token/:jobId/*', async (c) => {
    const { token, jobId } = c.req.param();
    if (!sameSecret(token, playbackToken(apiKey, jobId))) return c.json({ code: 'UNAUTHORIZED', message: 'not a playback token for this job' }, 401);
    const key = decodedOrUndefined(c.req.path.slice(`/play/${token}/`.length));
    // The token is for one job: a key that leaves its prefix (`..`, an encoded slash) is refused.
    if (key === undefined || !key.startsWith(keys.jobPrefix(jobId)) || key.split('/').some((part) => part === '..' || part === '.')) {
      return c.json({ code: 'NOT_FOUND', message: 'no such file' }, 404);
    }
    try {
      const range = c.req.header('range');
      const object = await options.s3.send(new GetObjectCommand({ Bucket: config.RENDITIONS_BUCKET, Key: key, ...(range && { Range: range }) }));
      const headers: Record<string, string> = { 'Content-Type': CONTENT_TYPES[extname(key).toLowerCase()] ?? 'application/octet-stream', 'Accept-Ranges': 'bytes' };
      if (object.ContentLength !== undefined) headers['Content-Length'] = String(object.ContentLength);
      if (object.ContentRange) headers['Content-Range'] = object.ContentRange;
      if (object.ETag) headers.ETag = object.ETag;
      const body = c.req.method === 'HEAD' ? null : (object.Body?.transformToWebStream() ?? null);
      return new Response(body, { status: object.ContentRange ? 206 : 200, headers });
    } catch (error) {
      if ((error as { name?: string }).name === 'InvalidRange') return c.json({ code: 'INVALID_REQUEST', message: 'the range is outside the file' }, 416);
      // Only an outage is worth retrying; anything else the store refuses (a key too long, say) is no such file.
      if (sdkErrorKind(error) !== 'transient') return c.json({ code: 'NOT_FOUND', message: 'no such file' }, 404);
      options.log?.(`api: playback of ${key}: ${String(error)}`);
      return c.json({ code: 'UNAVAILABLE', message: 'storage is unavailable' }, 503);
    }
  });

  // The page is public, as CloudFront serves it on AWS; what it reads needs the key.
  mountDashboard(app);

  // As API Gateway's authorizer on AWS: every other route needs the key (CORS preflights were answered above).
  app.use('*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !sameSecret(match[1]!, apiKey)) {
      return c.json({ code: 'UNAUTHORIZED', message: 'send Authorization: Bearer <key> (the key is in the stack state folder, file api-key)' }, 401);
    }
    await next();
  });
  app.route('/', api);
  app.notFound((c) => c.json({ code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` }, 404));

  const server = await new Promise<ServerType>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, port: options.port, hostname: '127.0.0.1' }, () => resolve(started));
    started.once('error', reject);
  });
  return {
    endpoint,
    apiKey,
    dashboardUrl: dashboardUrl(endpoint, apiKey),
    keyFile,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
