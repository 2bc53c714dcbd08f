/**
 * Moves every cue of a WebVTT file by the same amount, so that a subtitle track extracted with
 * its source timestamps lands on the renditions' timeline (zero at the video's first frame).
 * The input is ffmpeg's own WebVTT muxer output, made from an upload's subtitle stream: blocks
 * split by blank lines, a cue's timing line first (or second, after an identifier). A cue that
 * ends at or before zero is dropped; one that straddles zero starts at zero. Blocks that are no
 * cue (NOTE, STYLE, REGION) are kept as they are; anything else is dropped rather than guessed at.
 */
import { InternalError } from '../../errors.ts';

/** `[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt [settings]` (WebVTT §4.1). */
const TIMING = /^((?:\d+:)?\d{2}:\d{2}\.\d{3})[ \t]+-->[ \t]+((?:\d+:)?\d{2}:\d{2}\.\d{3})(.*)$/;
const KEPT_BLOCKS = /^(NOTE|STYLE|REGION)([ \t\n]|$)/;

export function shiftWebVtt(text: string, shiftSeconds: number): string {
  if (!Number.isFinite(shiftSeconds)) throw new RangeError(`shift must be finite, not ${shiftSeconds}`);
  const [header, ...blocks] = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').trim().split(/\n{2,}/);
  if (header === undefined || !/^WEBVTT([ \t\n]|$)/.test(header)) throw new InternalError('ENCODER_FAILED', 'shift WebVTT: the text does not start with WEBVTT');
  const kept = blocks.flatMap((block) => {
    const lines = block.split('\n');
    const at = lines.findIndex((line, index) => index < 2 && TIMING.test(line));
    if (at === -1) return KEPT_BLOCKS.test(block) ? [block] : [];
    const [, from, to, settings] = TIMING.exec(lines[at]!)!;
    const end = toMilliseconds(to!) - Math.round(shiftSeconds * 1000);
    if (end <= 0) return [];
    const start = Math.max(0, toMilliseconds(from!) - Math.round(shiftSeconds * 1000));
    lines[at] = `${formatTimestamp(start)} --> ${formatTimestamp(end)}${settings}`;
    return [lines.join('\n')];
  });
  return `${[header, ...kept].join('\n\n')}\n`;
}

function toMilliseconds(timestamp: string): number {
  const parts = timestamp.split(':').map(Number);
  const [seconds = 0, minutes = 0, hours = 0] = parts.reverse();
  return Math.round(((hours * 60 + minutes) * 60 + seconds) * 1000);
}

/** hh:mm:ss.ttt, hours at least two digits. */
export function formatTimestamp(milliseconds: number): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const hours = Math.floor(milliseconds / 3_600_000);
  const minutes = Math.floor(milliseconds / 60_000) % 60;
  const seconds = Math.floor(milliseconds / 1000) % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}.${pad(milliseconds % 1000, 3)}`;
}
