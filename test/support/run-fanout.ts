/** Runs the `fanout` command as a user does: a real process, its stdout, stderr and exit code. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const fanoutCli = fileURLToPath(new URL('../../infra/cli/fanout.ts', import.meta.url));

export function runFanout(args: string[], env: Record<string, string> = {}, user: { uid?: number; gid?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fanoutCli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...user });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
