/**
 * The three calls of MinIO's admin API (`/minio/admin/v3`) that `mc admin config get|set` and
 * `mc admin service restart` make, signed with SigV4 like any S3 call. Bodies of the config
 * calls are encrypted with the root secret key (minio-admin-crypto.ts).
 */
import { createHash, createHmac, type BinaryLike } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { decryptAdminData, encryptAdminData } from './minio-admin-crypto.ts';

export type MinioAdmin = {
  /** `mc admin config get ALIAS KEY`: the running server's settings, one line per target. */
  getConfig(key: string): Promise<string>;
  /** `mc admin config set ALIAS KV`; says whether the server must restart to apply it. */
  setConfig(kv: string): Promise<{ restartNeeded: boolean }>;
  /** `mc admin service restart ALIAS`: the server re-executes itself (same pid) and reloads its config. */
  restart(): Promise<void>;
};

export class MinioAdminError extends Error {
  override name = 'MinioAdminError';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

const API = '/minio/admin/v3';
const CONFIG_APPLIED_HEADER = 'x-minio-config-applied';
const TIMEOUT_MS = 15_000;

export function minioAdmin({ endpoint, credentials, region = 'us-east-1' }: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string }; region?: string }): MinioAdmin {
  const signer = new SignatureV4({ service: 's3', region, credentials, sha256: NodeSha256 });
  const base = new URL(endpoint);

  const call = async (method: string, path: string, query: Record<string, string>, body?: Buffer): Promise<Response> => {
    const payload = body ?? Buffer.alloc(0);
    const request = await signer.sign({
      method,
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port === '' ? undefined : Number(base.port),
      path: `${API}${path}`,
      query,
      headers: {
        host: base.host,
        'x-amz-content-sha256': createHash('sha256').update(payload).digest('hex'),
        'content-length': String(payload.length),
      },
      body: payload,
    });
    const url = new URL(`${API}${path}`, base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const response = await fetch(url, {
      method,
      headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'host' && name !== 'content-length')),
      body: body === undefined ? undefined : new Uint8Array(payload),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new MinioAdminError(`MinIO admin ${method} ${path}: HTTP ${response.status} ${messageOf(text)}`, response.status);
    }
    return response;
  };

  return {
    async getConfig(key) {
      const response = await call('GET', '/get-config-kv', { key });
      return decryptAdminData(credentials.secretAccessKey, new Uint8Array(await response.arrayBuffer())).toString('utf8');
    },
    async setConfig(kv) {
      const response = await call('PUT', '/set-config-kv', {}, encryptAdminData(credentials.secretAccessKey, Buffer.from(kv, 'utf8')));
      await response.body?.cancel();
      return { restartNeeded: response.headers.get(CONFIG_APPLIED_HEADER) !== 'true' };
    },
    async restart() {
      const response = await call('POST', '/service', { action: 'restart', 'dry-run': 'false', type: '2' });
      await response.body?.cancel();
    },
  };
}

/** MinIO's admin errors are JSON `{ Code, Message }`; S3-style ones are XML. */
function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { Code?: string; Message?: string };
    return [parsed.Code, parsed.Message].filter(Boolean).join(': ');
  } catch {
    return /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? text.slice(0, 200);
  }
}

function toBinary(data: string | ArrayBuffer | ArrayBufferView): BinaryLike {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** The hash the signer wants (the browser-neutral Checksum shape), on node:crypto. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBinary(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBinary(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}
