import { spawnSync } from 'node:child_process';

/** Whether ffmpeg and ffprobe can be run here (the video path needs both). */
export function ffmpegAvailable(): boolean {
  return ['ffmpeg', 'ffprobe'].every((tool) => spawnSync(tool, ['-version'], { stdio: 'ignore' }).status === 0);
}
