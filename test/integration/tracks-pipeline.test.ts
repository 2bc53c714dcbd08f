/**
 * Every audio track and every text subtitle track, end to end on a real MinIO: two audio tracks
 * become two HLS audio renditions with their languages, each in sync with the video and each
 * holding its own track (told apart by its tone); the MP4s carry the default track alone; the
 * subtitle tracks become WebVTT files whose cues sit where the source's do, and an HLS subtitles
 * group that every variant names.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACKS_FIXTURE, tracksFixture } from '../../fixtures/tracks.ts';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import { probeMedia } from '../../shared/media/ffmpeg/probe-media.ts';
import { inspectStreams } from '../support/inspect-media.ts';
import { keysUnder, processFile, readRendition, startTestStack, type TestStack } from '../support/pipeline-harness.ts';
import { streamSpan } from './ffmpeg-support.ts';

const CHUNKING = { CHUNK_SECONDS: '2', SEGMENT_SECONDS: '2', GOP_SECONDS: '1', X264_PRESET: 'ultrafast' };
const FRAME_SECONDS = 1 / TRACKS_FIXTURE.fps;
const run = promisify(execFile);

let harness: TestStack;
let downloads: string;
const jobs: Record<'mp4' | 'mkv', { manifest: Manifest; dir: string }> = {} as never;

beforeAll(async () => {
  harness = await startTestStack({ storage: 'minio', functionEnvironment: { splitter: CHUNKING } });
  downloads = await mkdtemp(join(tmpdir(), 'fanout-tracks-'));
  for (const kind of ['mp4', 'mkv'] as const) {
    const manifest = await processFile(harness.stack, await tracksFixture(`tracks.${kind}`), `tracks/tracks.${kind}`);
    const dir = join(downloads, kind);
    for (const key of await keysUnder(harness.stack, `${manifest.jobId}/`)) {
      const path = join(dir, key.slice(manifest.jobId.length + 1));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await readRendition(harness.stack, key));
    }
    jobs[kind] = { manifest, dir };
  }
}, 240_000);
afterAll(async () => {
  await harness?.stop();
  await rm(downloads, { recursive: true, force: true });
});

describe('an MP4 with two audio tracks and a subtitle track', () => {
  it('lists each audio track with its language, and the subtitles, in the manifest', () => {
    const { manifest } = jobs.mp4;
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    const audio = manifest.renditions.filter((rendition) => rendition.kind === 'audio');
    expect(audio.map(({ key, language, name, default: isDefault }) => ({ key: key.slice(manifest.jobId.length + 1), language, name, default: isDefault }))).toEqual([
      { key: 'hls/audio/fr/index.m3u8', language: 'fr', name: 'French', default: false },
      { key: 'hls/audio/en/index.m3u8', language: 'en', name: 'English', default: true },
    ]);
    const subtitles = manifest.renditions.filter((rendition) => rendition.kind === 'subtitles');
    expect(subtitles).toEqual([{ kind: 'subtitles', key: `${manifest.jobId}/subtitles/en.vtt`, format: 'webvtt', language: 'en', name: 'English', bytes: expect.any(Number) }]);
    // Two audio tasks, one per track.
    expect(manifest.timings.steps.filter((step) => step.step === 'audio')).toHaveLength(2);
  });

  it('names both audio renditions and the subtitles group in the master playlist, from every variant', async () => {
    const master = await readFile(join(jobs.mp4.dir, 'hls/master.m3u8'), 'utf8');
    expect(master.match(/^#EXT-X-MEDIA:.*$/gm)).toEqual([
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",LANGUAGE="fr",NAME="French",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio/fr/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",LANGUAGE="en",NAME="English",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/en/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subtitles",LANGUAGE="en",NAME="English",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subtitles/en/index.m3u8"',
    ]);
    const streamInfs = master.match(/^#EXT-X-STREAM-INF:.*$/gm)!;
    expect(streamInfs.length).toBeGreaterThanOrEqual(1);
    for (const line of streamInfs) expect(line).toMatch(/,AUDIO="audio",SUBTITLES="subtitles"$/);
    // A real HLS reader (ffmpeg's) opens every variant and both audio renditions with their
    // languages. (Its HLS demuxer skips subtitle renditions: "Can't support the subtitle".)
    const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', '-show_streams', join(jobs.mp4.dir, 'hls/master.m3u8')]);
    const streams = (JSON.parse(stdout) as { streams: Array<{ codec_type: string; tags?: { language?: string } }> }).streams;
    expect(streams.filter((stream) => stream.codec_type === 'audio').map((stream) => stream.tags?.language).sort()).toEqual(['en', 'fr']);
    const subtitlesPlaylist = await readFile(join(jobs.mp4.dir, 'hls/subtitles/en/index.m3u8'), 'utf8');
    expect(subtitlesPlaylist).toMatch(/#EXTINF:4\.0\d\d,\ncues\.vtt\n#EXT-X-ENDLIST/);
  });

  it('keeps the default track alone in the MP4s: the flagged one, not the first', async () => {
    for (const video of jobs.mp4.manifest.renditions.filter((rendition) => rendition.kind === 'video')) {
      const path = join(jobs.mp4.dir, video.key.slice(jobs.mp4.manifest.jobId.length + 1));
      expect((await inspectStreams(path)).map((stream) => stream.codecType)).toEqual(['video', 'audio']);
      expect(await dominantTone(path)).toBe(440);
    }
  });

  it('gives each HLS audio rendition its own track, in sync with the video as in the MP4', async () => {
    const { dir, manifest } = jobs.mp4;
    const rung = manifest.renditions.find((rendition) => rendition.kind === 'video')!;
    if (rung.kind !== 'video') throw new Error('no video');
    const mp4 = join(dir, `video/${rung.rung}.mp4`);
    const [mp4Video, mp4Audio] = await Promise.all([streamSpan(mp4, 'v:0'), streamSpan(mp4, 'a:0')]);
    const hlsVideo = await streamSpan(await joinedRendition(join(dir, 'hls', rung.rung)), 'v:0');
    for (const [label, toneHz] of [['en', 440], ['fr', 1000]] as const) {
      const joined = await joinedRendition(join(dir, 'hls/audio', label));
      expect(await dominantTone(joined), label).toBe(toneHz);
      const hlsAudio = await streamSpan(joined, 'a:0');
      expect(hlsAudio.start - hlsVideo.start, label).toBeCloseTo(mp4Audio.start - mp4Video.start, 3);
      // The MP4's edit list trims its last AAC frame to the video; fMP4 segments carry no edit list.
      expect(Math.abs(hlsAudio.end - hlsAudio.start - (mp4Audio.end - mp4Audio.start)), label).toBeLessThanOrEqual(1024 / 48_000);
    }
  });

  it('writes a WebVTT whose cues sit where the source\'s do, within a frame, on the MP4s\' and on the HLS timeline', async () => {
    const { dir, manifest } = jobs.mp4;
    const source = await tracksFixture('tracks.mp4');
    const expected = await sourceCues(source, 3);
    expect(expected.map((cue) => cue.start)).toEqual(TRACKS_FIXTURE.cues.eng.map((cue) => cue.start));
    expectCuesNear(await vttCues(join(dir, 'subtitles/en.vtt')), expected);

    // The HLS copy maps its zero to the renditions' shifted one: the video's first frame there.
    const rung = manifest.renditions.find((rendition) => rendition.kind === 'video')!;
    const hlsVideo = await streamSpan(await joinedRendition(join(dir, 'hls', rung.kind === 'video' ? rung.rung : '')), 'v:0');
    const hlsVtt = await readFile(join(dir, 'hls/subtitles/en/cues.vtt'), 'utf8');
    const mapped = /^X-TIMESTAMP-MAP=MPEGTS:(\d+),LOCAL:00:00:00\.000$/m.exec(hlsVtt);
    expect(mapped, hlsVtt).not.toBeNull();
    expect(Math.abs(Number(mapped![1]) / 90_000 - hlsVideo.start)).toBeLessThan(0.001);
    expectCuesNear(await vttCues(join(dir, 'hls/subtitles/en/cues.vtt')), expected);
  });
});

describe('an MKV with a SubRip and an ASS track', () => {
  it('probes every stream\'s language, title and default flag', async () => {
    const facts = await probeMedia(await tracksFixture('tracks.mkv'), { format: 'mkv', limits: { maxDurationSeconds: 60, maxWidth: 1920, maxHeight: 1080, maxStreams: 8 } });
    expect(facts.audioStreams).toEqual([{ index: 1, codec: 'aac', language: 'eng', default: false }]);
    expect(facts.subtitleStreams).toEqual([
      { index: 2, codec: 'subrip', language: 'eng', default: true },
      { index: 3, codec: 'ass', language: 'fra', title: 'Français (ASS)', default: false },
    ]);
  });

  it('turns both into WebVTT renditions with their languages, cues where the source has them', async () => {
    const { manifest, dir } = jobs.mkv;
    expect(manifest.status, JSON.stringify(manifest.error)).toBe('succeeded');
    const subtitles = manifest.renditions.filter((rendition) => rendition.kind === 'subtitles');
    expect(subtitles.map((rendition) => [rendition.key.slice(manifest.jobId.length + 1), rendition.language, rendition.name])).toEqual([
      ['subtitles/en.vtt', 'en', 'English'],
      ['subtitles/fr.vtt', 'fr', 'Français (ASS)'],
    ]);
    const source = await tracksFixture('tracks.mkv');
    // The source's video starts after zero (Matroska keeps the B-frame delay): cues move with it.
    expectCuesNear(await vttCues(join(dir, 'subtitles/en.vtt')), await sourceCues(source, 2));
    const french = await vttCues(join(dir, 'subtitles/fr.vtt'));
    expectCuesNear(french, await sourceCues(source, 3));
    expect(french.map((cue) => cue.text)).toEqual(['Bonjour']);

    const master = await readFile(join(dir, 'hls/master.m3u8'), 'utf8');
    expect(master.match(/^#EXT-X-MEDIA:TYPE=SUBTITLES.*$/gm)).toEqual([
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subtitles",LANGUAGE="en",NAME="English",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subtitles/en/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subtitles",LANGUAGE="fr",NAME="Français (ASS)",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subtitles/fr/index.m3u8"',
    ]);
    expect(master).toMatch(/^#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",LANGUAGE="en",NAME="English",DEFAULT=YES,/m);
  });
});

type Cue = { start: number; end: number; text: string };

function expectCuesNear(actual: readonly Cue[], expected: readonly Cue[]): void {
  expect(actual.map((cue) => cue.text)).toEqual(expected.map((cue) => cue.text));
  actual.forEach((cue, index) => {
    expect(Math.abs(cue.start - expected[index]!.start), `cue ${index} start`).toBeLessThanOrEqual(FRAME_SECONDS);
    expect(Math.abs(cue.end - expected[index]!.end), `cue ${index} end`).toBeLessThanOrEqual(FRAME_SECONDS);
  });
}

/** A source's cues as a player shows them against its picture: packet times less the first video frame's. */
async function sourceCues(path: string, streamIndex: number): Promise<Cue[]> {
  const { stdout: videoOut } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', path]);
  const firstFrame = Math.min(...videoOut.trim().split('\n').map(Number));
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-copyts', '-i', path, '-map', `0:${streamIndex}`, '-c:s', 'webvtt', '-f', 'webvtt', '-']);
  const { stdout: times } = await run('ffprobe', ['-v', 'error', '-select_streams', String(streamIndex), '-show_entries', 'packet=pts_time,duration_time,size', '-of', 'csv=p=0', path]);
  const texts = parseVtt(stdout).map((cue) => cue.text);
  return times
    .trim()
    .split('\n')
    .map((line) => line.split(',').map(Number))
    // mov_text fills the gaps between cues with empty samples (a 2-byte length of 0).
    .filter(([, , size]) => size! > 2)
    .map(([pts, duration], index) => ({ start: pts! - firstFrame, end: pts! + duration! - firstFrame, text: texts[index] ?? '' }));
}

async function vttCues(path: string): Promise<Cue[]> {
  return parseVtt(await readFile(path, 'utf8'));
}

function parseVtt(text: string): Cue[] {
  const seconds = (stamp: string) => stamp.split(':').map(Number).reduce((total, part) => total * 60 + part, 0);
  return [...text.matchAll(/^([\d:.]+) --> ([\d:.]+)[^\n]*\n([^\n]*)/gm)].map((match) => ({ start: seconds(match[1]!), end: seconds(match[2]!), text: match[3]! }));
}

/** One HLS rendition's init segment and media segments, end to end, as one fMP4 file. */
async function joinedRendition(folder: string): Promise<string> {
  const segments = (await readdir(folder)).filter((name) => /^seg-\d+\.m4s$/.test(name)).sort();
  const parts = await Promise.all(['init.mp4', ...segments].map((name) => readFile(join(folder, name))));
  const path = join(folder, 'joined.mp4');
  await writeFile(path, Buffer.concat(parts));
  return path;
}

/** Which of the fixture's tones (440 Hz, 1 kHz) a file's first audio track holds: the stronger by Goertzel power over its first second. */
async function dominantTone(path: string): Promise<number> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', path, '-map', '0:a:0', '-t', '1', '-ac', '1', '-ar', '48000', '-f', 'f32le', '-'], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 });
  const samples = new Float32Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.byteLength / 4));
  const power = (hz: number) => {
    const coefficient = 2 * Math.cos((2 * Math.PI * hz) / 48_000);
    let [previous, beforePrevious] = [0, 0];
    for (const sample of samples) [previous, beforePrevious] = [sample + coefficient * previous - beforePrevious, previous];
    return previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  };
  const tones = TRACKS_FIXTURE.audio.map((track) => track.toneHz);
  return tones.reduce((best, hz) => (power(hz) > power(best) ? hz : best));
}
