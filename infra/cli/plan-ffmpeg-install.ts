/**
 * What `fanout setup` does about ffmpeg and ffprobe, as Playwright's `install-deps` does for
 * browsers: nothing when both are there; the distribution's package where it runs as root with
 * apt-get (non-interactive); otherwise the exact command for the person to run. Pure.
 */
export interface FfmpegFacts {
  ffmpegPresent: boolean;
  isRoot: boolean;
  hasAptGet: boolean;
  hasBrew: boolean;
}

export type FfmpegInstallPlan =
  | { action: 'none' }
  | { action: 'install'; commands: string[][]; env: Record<string, string> }
  | { action: 'tell'; message: string };

const MISSING = 'ffmpeg and ffprobe are needed for video and audio, and are not on PATH';

export function planFfmpegInstall(facts: FfmpegFacts): FfmpegInstallPlan {
  if (facts.ffmpegPresent) return { action: 'none' };
  if (facts.hasAptGet && facts.isRoot) {
    return {
      action: 'install',
      // Debian's ffmpeg package carries ffprobe too. A fresh container has no package lists yet.
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'ffmpeg'],
      ],
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    };
  }
  if (facts.hasAptGet) return { action: 'tell', message: `${MISSING}: install them with \`sudo apt-get install -y ffmpeg\`` };
  if (facts.hasBrew) return { action: 'tell', message: `${MISSING}: install them with \`brew install ffmpeg\`` };
  return { action: 'tell', message: `${MISSING}: install ffmpeg (it includes ffprobe) with your system's package manager, or from https://ffmpeg.org/download.html` };
}
