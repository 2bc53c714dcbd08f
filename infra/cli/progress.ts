/**
 * Progress on stderr (stdout is for results): a bar on a terminal, a line per milestone
 * otherwise, so logs and CI output stay readable.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  /** `milestone`: what a line-per-milestone log repeats only when it changes (default: the label). */
  update(done: number, total: number, label: string, milestone?: string): void;
  stop(): void;
}

export function startProgress(title: string, unit: 'bytes' | 'steps'): Progress {
  // Steps: the label says each step's count (chunks, audio, stills); one sum would hide which.
  const format = unit === 'bytes' ? `${title} [{bar}] {percentage}% | {label}` : `${title} [{bar}] {label}`;
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
    let started = false;
    return {
      update(done, total, label) {
        if (!started) {
          bar.start(Math.max(total, 1), done, { label });
          started = true;
        }
        bar.setTotal(Math.max(total, 1));
        bar.update(done, { label });
      },
      stop: () => (started ? bar.stop() : undefined),
    };
  }
  let lastMilestone = '';
  return {
    update(_done, _total, label, milestone = label) {
      if (milestone === lastMilestone) return;
      lastMilestone = milestone;
      process.stderr.write(`${title}: ${label}\n`);
    },
    stop() {},
  };
}
