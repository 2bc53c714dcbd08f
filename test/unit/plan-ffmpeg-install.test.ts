import { describe, expect, it } from 'vitest';
import { planFfmpegInstall, type FfmpegFacts } from '../../infra/cli/plan-ffmpeg-install.ts';

const facts = (overrides: Partial<FfmpegFacts>): FfmpegFacts => ({ ffmpegPresent: false, isRoot: false, hasAptGet: false, hasBrew: false, ...overrides });

describe('planFfmpegInstall', () => {
  it.each([
    ['present: nothing to do, as root too', facts({ ffmpegPresent: true, isRoot: true, hasAptGet: true }), { action: 'none' }],
    ['present without apt-get', facts({ ffmpegPresent: true }), { action: 'none' }],
    [
      'missing, root with apt-get: installs, non-interactive, lists first',
      facts({ isRoot: true, hasAptGet: true }),
      {
        action: 'install',
        commands: [
          ['apt-get', 'update', '-qq'],
          ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'ffmpeg'],
        ],
        env: { DEBIAN_FRONTEND: 'noninteractive' },
      },
    ],
    ['missing, apt-get but not root: the sudo command to run', facts({ hasAptGet: true, hasBrew: true }), { action: 'tell', message: expect.stringContaining('`sudo apt-get install -y ffmpeg`') }],
    ['missing, Homebrew (macOS)', facts({ hasBrew: true }), { action: 'tell', message: expect.stringContaining('`brew install ffmpeg`') }],
    ['missing, root without apt-get: never guesses another package manager', facts({ isRoot: true }), { action: 'tell', message: expect.stringContaining('https://ffmpeg.org/download.html') }],
  ])('%s', (_name, input, expected) => {
    expect(planFfmpegInstall(input)).toEqual(expected);
  });
});
