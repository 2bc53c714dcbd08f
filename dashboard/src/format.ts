/** How the page writes times and names. Pure: unit-tested beside the timeline layout. */
export { formatBytes } from '../../shared/format-bytes.ts';

/** A media duration: `0:07`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  const pad = (value: number) => String(value).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** A step's wall time: `850 ms`, `4.2 s`, `2 min 5 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** How long ago: `5 seconds ago`, `3 minutes ago`, `yesterday`. */
export function formatAge(iso: string, now: number): string {
  const elapsed = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(elapsed) >= ms || unit === 'second') return relative.format(Math.round(elapsed / ms), unit);
  }
  return relative.format(0, 'second');
}

/** The name the user gave the file: the key's last part (`uploads/<id>/clip.mp4` → `clip.mp4`). */
export function sourceName(key: string | undefined): string {
  if (!key) return '(unknown source)';
  return key.slice(key.lastIndexOf('/') + 1) || key;
}
