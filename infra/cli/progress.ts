/**
 * Progress on stderr (stdout is for results): a bar on a terminal, a line per milestone
 * otherwise, so logs and CI output stay readable.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  update(done: number, total: number, label: string): void;
  stop(): void;
}

export function startProgress(title: string, unit: 'bytes' | 'steps'): Progress {
  const format = unit === 'bytes' ? `${title} [{bar}] {percentage}% | {label}` : `${title} [{bar}] {value}/{total} | {label}`;
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
  let lastLabel = '';
  return {
    update(done, total, label) {
      if (label === lastLabel) return;
      lastLabel = label;
      process.stderr.write(`${title}: ${label}${unit === 'steps' && total > 0 ? ` (${done}/${total})` : ''}\n`);
    },
    stop() {},
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
