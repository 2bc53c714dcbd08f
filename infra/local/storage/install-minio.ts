// `node infra/local/storage/install-minio.ts`: builds the pinned MinIO into the cache (or finds
// it there) and prints its path on stdout; build output goes to stderr.
import { installMinio } from './minio-binary.ts';

try {
  const path = await installMinio({ onLog: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${path}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
