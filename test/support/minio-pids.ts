import { readdir, readFile } from 'node:fs/promises';

/** The pids of running `minio server` processes whose command line names `dataDir`. */
export async function minioPidsFor(dataDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (args[1] === 'server' && args[2] === dataDir) pids.push(Number(entry));
  }
  return pids;
}
