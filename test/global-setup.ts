/**
 * Runs once before every suite: generates the fixtures up front, so that parallel test files
 * do not each encode the same sources at the same time on a 2-core machine.
 */
import { generateAllFixtures } from '../fixtures/all-fixtures.ts';
import { ffmpegAvailable } from '../shared/media/ffmpeg/ffmpeg-available.ts';

export async function setup(): Promise<void> {
  if (!ffmpegAvailable()) throw new Error('the tests need ffmpeg and ffprobe on PATH: `npx fanout setup` installs them (as root with apt-get) or names the command to run');
  await generateAllFixtures();
}
