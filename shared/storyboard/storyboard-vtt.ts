/**
 * The storyboard's WebVTT map, written by the assembler and read by the dashboard's seek bar:
 * one cue per tile, its payload the sprite's URL with a media fragment naming the tile's region
 * (`00.jpg#xywh=160,0,160,90`, W3C Media Fragments), as video.js, JW Player and Mux read it.
 * Sprite URLs are relative to the WebVTT file, so the pair works from any host. Pure: no Node
 * API, so the page can bundle it.
 */
import { formatTimestamp } from '../media/webvtt/shift-webvtt.ts';

export interface StoryboardVttCue {
  startSeconds: number;
  endSeconds: number;
  /** The sprite, relative to the WebVTT file. */
  url: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt [settings]` (WebVTT §4.1). */
const TIMING = /^((?:\d+:)?\d{2}:\d{2}\.\d{3})[ \t]+-->[ \t]+((?:\d+:)?\d{2}:\d{2}\.\d{3})(?:[ \t].*)?$/;
const REGION = /^(.+)#xywh=(\d+),(\d+),(\d+),(\d+)$/;

export function writeStoryboardVtt(cues: ReadonlyArray<StoryboardVttCue>): string {
  const blocks = cues.map((cue) => {
    if (/[\s#]/.test(cue.url) || cue.url === '') throw new TypeError(`a sprite URL without spaces or fragment, not ${JSON.stringify(cue.url)}`);
    const timing = `${formatTimestamp(Math.round(cue.startSeconds * 1000))} --> ${formatTimestamp(Math.round(cue.endSeconds * 1000))}`;
    return `${timing}\n${cue.url}#xywh=${[cue.x, cue.y, cue.width, cue.height].map((value) => nonNegativeInteger(value)).join(',')}`;
  });
  return `${['WEBVTT', ...blocks].join('\n\n')}\n`;
}

/** Every cue whose payload is a sprite region; a file that is not WebVTT, or a cue with another payload, is refused. */
export function parseStoryboardVtt(text: string): StoryboardVttCue[] {
  const [header, ...blocks] = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').trim().split(/\n{2,}/);
  if (header === undefined || !/^WEBVTT([ \t\n]|$)/.test(header)) throw new SyntaxError('a storyboard must start with WEBVTT');
  return blocks.flatMap((block) => {
    if (/^NOTE([ \t\n]|$)/.test(block)) return [];
    const lines = block.split('\n');
    // A cue may open with an identifier line before its timing.
    const at = lines.findIndex((line, index) => index < 2 && TIMING.test(line));
    if (at === -1) throw new SyntaxError(`not a cue: ${JSON.stringify(block.slice(0, 80))}`);
    const [, from, to] = TIMING.exec(lines[at]!)!;
    const region = REGION.exec(lines.slice(at + 1).join('\n').trim());
    if (!region) throw new SyntaxError(`a storyboard cue's payload is url#xywh=x,y,w,h: ${JSON.stringify(block.slice(0, 80))}`);
    const [, url, x, y, width, height] = region;
    return [{ startSeconds: toSeconds(from!), endSeconds: toSeconds(to!), url: url!, x: Number(x), y: Number(y), width: Number(width), height: Number(height) }];
  });
}

function toSeconds(timestamp: string): number {
  const [seconds = 0, minutes = 0, hours = 0] = timestamp.split(':').map(Number).reverse();
  return Math.round(((hours * 60 + minutes) * 60 + seconds) * 1000) / 1000;
}

function nonNegativeInteger(value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`a region's coordinates are whole pixels, not ${value}`);
  return value;
}
