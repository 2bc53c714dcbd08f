/**
 * HLS packaged from chunk-encoded MP4s: a master playlist a player (here ffprobe's HLS demuxer)
 * reads with all its variants and their one audio rendition, video segments of the target
 * length, each one starting on an IDR, and audio and video on the MP4's timeline.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoFixture } from '../../fixtures/videos.ts';
import type { ChunkRung } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { packageHls, type PackagedHls } from '../../shared/media/ffmpeg/package-hls.ts';
import { type ChunkedEncode, encodeChunked, packets, streamSpan } from './ffmpeg-support.ts';

const run = promisify(execFile);
const SEGMENT_SECONDS = 2;
const FPS = 30;
const LADDER: ChunkRung[] = [
  { name: '360p', width: 640, height: 360, crf: 26, maxrateKbps: 1200, bufsizeKbps: 2400 },
  { name: '180p', width: 320, height: 180, crf: 28, maxrateKbps: 500, bufsizeKbps: 1000 },
];

let workDir: string;
let encoded: ChunkedEncode;
let hls: PackagedHls;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-ffmpeg-hls-'));
  // The design's 4 s chunks; 2 s segments put one segment start inside each chunk as well.
  encoded = await encodeChunked({ sourcePath: await videoFixture('h264.mp4'), format: 'mp4', rungs: LADDER, chunkSeconds: 4, gopSeconds: 1, workDir: join(workDir, 'encode') });
  hls = await packageHls({
    variants: LADDER.map((rung) => {
      const { path, assembled } = encoded.outputs[rung.name]!;
      return { name: rung.name, mp4Path: path, width: rung.width, height: rung.height, frameRate: assembled.frameRate, videoCodecs: assembled.videoCodecs };
    }),
    audio: { path: encoded.audioPath!, channels: 2 },
    segmentSeconds: SEGMENT_SECONDS,
    outputDir: join(workDir, 'hls'),
  });
}, 90_000);
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const mediaPlaylist = (name: string) => join(workDir, 'hls', name, 'index.m3u8');

describe('packageHls', () => {
  it('writes a master playlist that ffprobe opens with every variant', async () => {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', '-show_programs', hls.masterPath]);
    const programs = (JSON.parse(stdout) as { programs: Array<{ streams: Array<{ codec_type: string; width?: number; height?: number }> }> }).programs;
    const sizes = programs.map((program) => program.streams.find((stream) => stream.codec_type === 'video')).map((video) => `${video?.width}x${video?.height}`);
    expect(sizes.sort()).toEqual(['320x180', '640x360']);
    for (const program of programs) expect(program.streams.some((stream) => stream.codec_type === 'audio')).toBe(true);
  });

  it('states measured bandwidth, resolution, codecs and frame rate for each variant', async () => {
    const master = await readFile(hls.masterPath, 'utf8');
    for (const rung of LADDER) {
      const line = master.split('\n').find((_, index, lines) => lines[index + 1] === `${rung.name}/index.m3u8`);
      expect(line, master).toBeDefined();
      const attributes = Object.fromEntries([...line!.matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)].map((match) => [match[1], match[2]]));
      const assembled = encoded.outputs[rung.name]!.assembled;
      expect(attributes.RESOLUTION).toBe(`${rung.width}x${rung.height}`);
      expect(attributes.CODECS).toBe(`"${assembled.codecs}"`);
      expect(assembled.codecs).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
      expect(attributes['FRAME-RATE']).toBe('30.000');
      const peak = Number(attributes.BANDWIDTH);
      const average = Number(attributes['AVERAGE-BANDWIDTH']);
      expect(peak).toBeGreaterThanOrEqual(average);
      // Segments hold the MP4's media: their average rate is the file's, give or take the boxes.
      expect(Math.abs(average / 1000 - assembled.bitrateKbps) / assembled.bitrateKbps).toBeLessThan(0.05);
    }
  });

  it('stores the audio once, as a rendition group every variant names, and no audio in the video segments', async () => {
    const master = await readFile(hls.masterPath, 'utf8');
    expect(master.match(/^#EXT-X-MEDIA:.*$/gm)).toEqual(['#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="default",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"']);
    const streamInfs = master.match(/^#EXT-X-STREAM-INF:.*$/gm)!;
    expect(streamInfs).toHaveLength(LADDER.length);
    for (const line of streamInfs) expect(line).toMatch(/,AUDIO="audio"$/);
    // Each variant's BANDWIDTH covers its video and the audio together.
    for (const variant of hls.variants) expect(master).toContain(`BANDWIDTH=${variant.bandwidth + hls.audio!.bandwidth},`);

    for (const rung of LADDER) {
      const init = await readFile(join(workDir, 'hls', rung.name, 'init.mp4'));
      const joined = join(workDir, `${rung.name}-first.mp4`);
      await writeFile(joined, Buffer.concat([init, await readFile(join(workDir, 'hls', rung.name, 'seg-00000.m4s'))]));
      const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'csv=p=0', '-show_entries', 'stream=codec_type', joined]);
      expect(stdout.trim()).toBe('video');
    }
    const audioPlaylist = await readFile(join(workDir, 'hls', 'audio', 'index.m3u8'), 'utf8');
    const durations = [...audioPlaylist.matchAll(/#EXTINF:([0-9.]+),/g)].map((match) => Number(match[1]));
    // 6 s of audio in 2 s segments (the last one holds the priming frame's spill-over).
    expect(durations.length).toBeGreaterThanOrEqual(3);
    // Cut at AAC frames (1024 samples at 48 kHz): each segment within one frame of the target.
    durations.slice(0, -1).forEach((duration) => expect(Math.abs(duration - SEGMENT_SECONDS)).toBeLessThanOrEqual(1024 / 48000));
  });

  it('keeps audio and video on the MP4s\' timeline: the audio starts where it does against the video in the MP4', async () => {
    const mp4 = encoded.outputs[LADDER[0]!.name]!.path;
    const [mp4Video, mp4Audio, hlsVideo, hlsAudio] = await Promise.all([streamSpan(mp4, 'v:0'), streamSpan(mp4, 'a:0'), streamSpan(hls.masterPath, 'v:0'), streamSpan(hls.masterPath, 'a:0')]);
    // In the MP4 the AAC priming lies before the first frame (edit lists); HLS has no edit lists.
    expect(mp4Audio.start).toBeLessThan(mp4Video.start);
    expect(hlsAudio.start - hlsVideo.start).toBeCloseTo(mp4Audio.start - mp4Video.start, 3);
  });

  it('cuts segments of the target length (all but the last within one frame), each on an IDR', async () => {
    for (const rung of LADDER) {
      const playlist = await readFile(mediaPlaylist(rung.name), 'utf8');
      const durations = [...playlist.matchAll(/#EXTINF:([0-9.]+),/g)].map((match) => Number(match[1]));
      const total = durations.reduce((sum, duration) => sum + duration, 0);
      expect(durations).toHaveLength(Math.ceil(encoded.outputs[rung.name]!.assembled.durationSeconds / SEGMENT_SECONDS));
      durations.slice(0, -1).forEach((duration) => expect(Math.abs(duration - SEGMENT_SECONDS)).toBeLessThanOrEqual(1 / FPS));
      expect(Math.abs(total - encoded.outputs[rung.name]!.assembled.durationSeconds)).toBeLessThan(1 / FPS);
      expect(playlist).toContain('#EXT-X-MAP:URI="init.mp4"');

      const segments = [...playlist.matchAll(/^(seg-\d+\.m4s)$/gm)].map((match) => match[1]!);
      const init = await readFile(join(workDir, 'hls', rung.name, 'init.mp4'));
      for (const segment of segments) {
        const joined = join(workDir, `${rung.name}-${segment}.mp4`);
        await writeFile(joined, Buffer.concat([init, await readFile(join(workDir, 'hls', rung.name, segment))]));
        const { packets: list } = await packets(joined, 'v:0');
        expect(list[0]!.keyframe, `${rung.name} ${segment}`).toBe(true);
      }
    }
  });
});
