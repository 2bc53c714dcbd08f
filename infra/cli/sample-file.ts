/**
 * The bundled sample `npm start` processes when no file is given: a short 720p video with
 * motion, scene cuts and sound, or, where ffmpeg is missing, a photo (the image path needs none).
 */
import { imageFixture } from '../../fixtures/images.ts';
import { videoFixture } from '../../fixtures/videos.ts';
import { ffmpegAvailable } from '../../shared/media/ffmpeg/ffmpeg-available.ts';

export async function sampleFile(log: (line: string) => void): Promise<string> {
  if (ffmpegAvailable()) return videoFixture('sample.mp4');
  log('ffmpeg not found (`npx fanout setup` installs it, or names the command to run): processing the image sample instead of the video one');
  return imageFixture('photo.jpg');
}
