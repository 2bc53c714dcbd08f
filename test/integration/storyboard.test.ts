/**
 * The storyboard end to end on a real MinIO, with short chunks so that several encoders each
 * contribute tiles: the sprite's size is the grid's, the WebVTT map covers the whole video
 * without a gap or an overlap, every region lies inside its sprite, and each tile shows the
 * frame of its time (a source whose colour changes every second). A portrait phone video's tiles
 * are upright; an image gets no storyboard.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageFixture } from '../../fixtures/images.ts';
import { ROTATED_VIDEO_FIXTURE, videoFixture } from '../../fixtures/videos.ts';
import type { Manifest, StoryboardRendition } from '../../shared/contracts/manifest.ts';
import { parseStoryboardVtt, type StoryboardVttCue } from '../../shared/storyboard/storyboard-vtt.ts';
import { processFile, readRendition } from '../support/pipeline-harness.ts';
import { useShortChunkStack } from '../support/video-checks.ts';

const run = promisify(execFile);
const { harness } = useShortChunkStack('fanout-storyboard-');
const stack = () => harness().stack;

/** 11 s at 25 fps, one flat colour per whole second (RGB below), no audio. */
const SECONDS = 11;
const colourOf = (second: number) => [(second * 97) % 256, (second * 53 + 40) % 256, (second * 151 + 200) % 256];

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-storyboard-source-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function colourPerSecondVideo(): Promise<string> {
  const path = join(workDir, 'colours.mp4');
  const [r, g, b] = [`mod(floor(T)*97,256)`, `mod(floor(T)*53+40,256)`, `mod(floor(T)*151+200,256)`];
  await run('ffmpeg', ['-nostdin', '-y', '-v', 'error', '-f', 'lavfi', '-i', `color=size=320x180:rate=25:duration=${SECONDS},format=rgb24,geq=r='${r}':g='${g}':b='${b}'`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '50', path]);
  return path;
}

const storyboardOf = (manifest: Manifest) => manifest.renditions.find((rendition): rendition is StoryboardRendition => rendition.kind === 'storyboard');

async function tileMean(sprite: Buffer, cue: StoryboardVttCue): Promise<number[]> {
  // stats() reads the input, not the pipeline's result: extract to a buffer first.
  const tile = await sharp(sprite).extract({ left: cue.x, top: cue.y, width: cue.width, height: cue.height }).png().toBuffer();
  const { channels } = await sharp(tile).stats();
  return channels.slice(0, 3).map((channel) => channel.mean);
}

describe('a video whose colour changes every second', () => {
  let manifest: Manifest;
  let storyboard: StoryboardRendition;
  let cues: StoryboardVttCue[];
  let sprites: Map<string, Buffer>;
  beforeAll(async () => {
    manifest = await processFile(stack(), await colourPerSecondVideo(), 'storyboard/colours.mp4');
    storyboard = storyboardOf(manifest)!;
    cues = parseStoryboardVtt((await readRendition(stack(), storyboard.key)).toString('utf8'));
    sprites = new Map(await Promise.all(storyboard.sprites.map(async (key) => [key.slice(key.lastIndexOf('/') + 1), await readRendition(stack(), key)] as const)));
  });

  it('lists a storyboard in the manifest: a frame every 5 s, 160-px tiles, one sprite', () => {
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    expect(storyboard).toMatchObject({ key: `${manifest.jobId}/storyboard/storyboard.vtt`, sprites: [`${manifest.jobId}/storyboard/00.jpg`], intervalSeconds: 5, tileWidth: 160, tileHeight: 90, columns: 3, rows: 1 });
    const spriteBytes = [...sprites.values()].reduce((sum, sprite) => sum + sprite.length, 0);
    expect(storyboard.bytes).toBeGreaterThan(spriteBytes);
  });

  it('makes each sprite columns × tileWidth by rows × tileHeight', async () => {
    for (const sprite of sprites.values()) {
      const { width, height, format } = await sharp(sprite).metadata();
      expect({ width, height, format }).toEqual({ width: storyboard.columns * storyboard.tileWidth, height: storyboard.rows * storyboard.tileHeight, format: 'jpeg' });
    }
  });

  it('maps [0, duration] with no gap and no overlap, each region inside its sprite', () => {
    expect(cues.map((cue) => [cue.startSeconds, cue.endSeconds])).toEqual([[0, 5], [5, 10], [10, SECONDS]]);
    expect(cues.at(-1)!.endSeconds).toBeCloseTo(manifest.source.durationSeconds!, 3);
    cues.forEach((cue, index) => {
      if (index > 0) expect(cue.startSeconds).toBe(cues[index - 1]!.endSeconds);
      expect(sprites.has(cue.url), cue.url).toBe(true);
      expect(cue.x + cue.width).toBeLessThanOrEqual(storyboard.columns * storyboard.tileWidth);
      expect(cue.y + cue.height).toBeLessThanOrEqual(storyboard.rows * storyboard.tileHeight);
      expect([cue.width, cue.height]).toEqual([storyboard.tileWidth, storyboard.tileHeight]);
    });
  });

  it('shows in each tile the frame at the middle of its time range (tiles from three chunks)', async () => {
    const seconds = Array.from({ length: SECONDS }, (_, second) => second);
    for (const cue of cues) {
      const second = Math.floor((cue.startSeconds + cue.endSeconds) / 2);
      const mean = await tileMean(sprites.get(cue.url)!, cue);
      // The nearest of the source's colours (YUV 4:2:0 and JPEG shift each a little, never to another second's).
      const distance = (other: number) => Math.hypot(...colourOf(other).map((value, channel) => value - mean[channel]!));
      const nearest = seconds.reduce((best, other) => (distance(other) < distance(best) ? other : best));
      expect(nearest, `${cue.startSeconds}–${cue.endSeconds} s: ${mean.map(Math.round)}`).toBe(second);
      expect(distance(second)).toBeLessThan(50);
    }
  });
});

describe('a portrait phone video (stored landscape, turned by its display matrix)', () => {
  it('gets upright tiles: taller than wide, the red marker at the top right', async () => {
    const manifest = await processFile(stack(), await videoFixture('rotated.mp4'), 'storyboard/rotated.mp4');
    const storyboard = storyboardOf(manifest)!;
    expect(storyboard.tileHeight).toBeGreaterThan(storyboard.tileWidth);
    const [cue] = parseStoryboardVtt((await readRendition(stack(), storyboard.key)).toString('utf8'));
    const sprite = await readRendition(stack(), storyboard.sprites[0]!);
    // The marker is 64 of 360 displayed pixels wide: look at the middle of where it must be, and of the opposite corner.
    const marker = Math.round((ROTATED_VIDEO_FIXTURE.markerSize * storyboard.tileWidth) / ROTATED_VIDEO_FIXTURE.storedHeight);
    const probe = { width: 6, height: 6, y: cue!.y + Math.round(marker / 2) - 3 };
    const topRight = await tileMean(sprite, { ...cue!, ...probe, x: cue!.x + cue!.width - Math.round(marker / 2) - 3 });
    const topLeft = await tileMean(sprite, { ...cue!, ...probe, x: cue!.x + Math.round(marker / 2) - 3 });
    expect(topRight[0]! - topRight[1]!, `top right ${topRight.map(Math.round)}`).toBeGreaterThan(100);
    expect(topLeft[0]! - topLeft[1]!, `top left ${topLeft.map(Math.round)}`).toBeLessThan(100);
  });
});

describe('an image', () => {
  it('gets no storyboard', async () => {
    const manifest = await processFile(stack(), await imageFixture('small.png'), 'storyboard/small.png');
    expect(manifest.status).toBe('succeeded');
    expect(storyboardOf(manifest)).toBeUndefined();
  });
});
