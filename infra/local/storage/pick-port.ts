import { createServer } from 'node:net';
import { findFreePort } from './find-free-port.ts';

/**
 * `fanout dev`'s fixed ports, so that a saved `aws --endpoint-url …` keeps working across
 * restarts. Away from 9000/9001 (a MinIO the user already runs) and 9100 (node_exporter).
 */
export const DEFAULT_PORTS = { storage: 9700, console: 9701, stepFunctions: 9702, events: 9703, api: 9704, eventBridge: 9705 } as const;

/** `events` receives the storage's upload events; `api` is the job API; `eventBridge` is the local EventBridge endpoint (job events). */
export type StablePorts = { storage?: number; console?: number; stepFunctions?: number; events?: number; api?: number; eventBridge?: number };

/**
 * The preferred port when it can be bound on 127.0.0.1 now, else a free one, named in the log
 * ("storage: port 9700 is taken; using 41233"). Another process may still take it before the
 * caller binds it; callers that can, fall back again then.
 */
export async function pickPort({ preferred, name, log }: { preferred: number; name: string; log: (line: string) => void }): Promise<number> {
  if (await canBind(preferred)) return preferred;
  const port = await findFreePort();
  log(`${name}: port ${preferred} is taken; using ${port}`);
  return port;
}

async function canBind(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
