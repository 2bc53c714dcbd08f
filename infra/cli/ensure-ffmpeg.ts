/** Carries out planFfmpegInstall: reads the facts, runs the install it plans, checks the result. */
import { spawnSync } from 'node:child_process';
import { ffmpegAvailable } from '../../shared/media/ffmpeg/ffmpeg-available.ts';
import { planFfmpegInstall } from './plan-ffmpeg-install.ts';

/** Resolves with a line to print when ffmpeg is there at the end; rejects with what to do otherwise. */
export async function ensureFfmpeg(log: (line: string) => void): Promise<string> {
  const plan = planFfmpegInstall({
    ffmpegPresent: ffmpegAvailable(),
    isRoot: process.getuid?.() === 0,
    hasAptGet: runs('apt-get', ['--version']),
    hasBrew: runs('brew', ['--version']),
  });
  if (plan.action === 'none') return 'ffmpeg and ffprobe: found';
  if (plan.action === 'tell') throw new Error(plan.message);
  for (const [command, ...args] of plan.commands) {
    log(`ffmpeg and ffprobe are missing: running ${[command, ...args].join(' ')}`);
    // The package manager's own output goes to stderr: stdout is for results.
    const result = spawnSync(command!, args, { stdio: ['ignore', 2, 2], env: { ...process.env, ...plan.env } });
    if (result.status !== 0) throw new Error(`${[command, ...args].join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}): install ffmpeg yourself and run this again`);
  }
  if (!ffmpegAvailable()) throw new Error('ffmpeg was installed, yet ffmpeg or ffprobe still does not run from PATH');
  return 'ffmpeg and ffprobe: installed';
}

function runs(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}
