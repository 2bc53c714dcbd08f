import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 and releases it again. Another process may
 * take it before the caller binds it; callers that cannot bind port 0 themselves (MinIO) retry.
 */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('could not read the port of a probe socket');
  }
  return address.port;
}
