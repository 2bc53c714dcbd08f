/**
 * The only ways a value from outside this folder becomes an ffmpeg argument. Paths are ones the
 * pipeline chose (absolute, normalised, no control characters) and travel as `file:` URLs, so a
 * name that looks like a protocol (`http:`, `concat:`) or an option (`-i`) is still just a file.
 * Numbers are checked to be finite and in range, and printed without exponents. A container
 * format is looked up in a fixed table (source-demuxer.ts); the caller's string never reaches the
 * command line.
 */
import { tmpdir } from 'node:os';
import { isAbsolute, normalize, relative } from 'node:path';

/** ffmpeg's `file:` protocol takes the rest of the URL verbatim: no percent-decoding. */
export function fileUrl(path: string): string {
  return `file:${checkedPath(path)}`;
}

/** An absolute, normalised path without control characters (a newline would break a concat list). */
export function checkedPath(path: string): string {
  if (!isAbsolute(path) || normalize(path) !== path || /[\u0000-\u001f\u007f]/.test(path)) {
    throw new TypeError(`not an absolute, normalised path: ${JSON.stringify(path)}`);
  }
  return path;
}

/**
 * An output path: checked like any path and inside the temporary directory, the only place the
 * pipeline writes to (Lambda's /tmp; a local worker's own TMPDIR). ffmpeg runs with `-y`, so this
 * keeps an overwrite from ever reaching a file outside it.
 */
export function outputPath(path: string): string {
  const inside = relative(tmpdir(), checkedPath(path));
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new TypeError(`output path is outside the work directory ${tmpdir()}: ${path}`);
  }
  return path;
}

/** Seconds as a plain decimal with microsecond precision (what ffmpeg's time parser keeps). */
export function seconds(value: number, round: 'nearest' | 'up' = 'nearest'): string {
  if (!Number.isFinite(value) || Math.abs(value) > 1e9) throw new RangeError(`not a time in seconds: ${value}`);
  const micros = round === 'up' ? Math.ceil(value * 1e6 - 1e-3) : Math.round(value * 1e6);
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1e6)}.${String(abs % 1e6).padStart(6, '0')}`;
}

/** An integer in [min, max], as a string. */
export function integer(value: number, min: number, max: number): string {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`not an integer in [${min}, ${max}]: ${value}`);
  return String(value);
}

/** A finite number in [min, max], printed without an exponent. */
export function decimal(value: number, min: number, max: number): string {
  if (!Number.isFinite(value) || value < min || value > max) throw new RangeError(`not a number in [${min}, ${max}]: ${value}`);
  return String(Math.round(value * 1e6) / 1e6);
}
