/**
 * Every accepted audio container through the splitter's packet listing and probe, as an upload
 * of it would go: Ogg pages and laced blocks share a position honestly (only an MP4 index can play
 * the same bytes twice), and raw ADTS AAC times its packets only once the stream is probed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPackets } from '../../shared/media/ffmpeg/list-video-frames.ts';
import { probeMedia } from '../../shared/media/ffmpeg/probe-media.ts';
import type { MediaInputFormat } from '../../shared/media/ffmpeg/source-demuxer.ts';

const run = promisify(execFile);
const LIMITS = { maxDurationSeconds: 3600, maxWidth: 1920, maxHeight: 1080, maxStreams: 4 };
let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-audio-formats-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe.each<{ format: MediaInputFormat; file: string; codec: string[] }>([
  { format: 'ogg', file: 'a.ogg', codec: ['-c:a', 'libvorbis'] },
  { format: 'ogg', file: 'a.opus', codec: ['-c:a', 'libopus'] },
  { format: 'aac', file: 'a.aac', codec: ['-c:a', 'aac', '-f', 'adts'] },
  { format: 'mp3', file: 'a.mp3', codec: ['-c:a', 'libmp3lame'] },
  { format: 'flac', file: 'a.flac', codec: ['-c:a', 'flac'] },
  { format: 'wav', file: 'a.wav', codec: ['-c:a', 'pcm_s16le'] },
])('$file', ({ format, file, codec }) => {
  it('is listed and probed as the 3 s of sound it holds', async () => {
    const path = join(workDir, file);
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', ...codec, path]);

    const listing = await listPackets(path, { format });
    expect(listing.audio!.endSeconds - listing.audio!.startSeconds).toBeCloseTo(3, 1);
    const facts = await probeMedia(path, { format, limits: LIMITS });
    expect(facts.audio).toBeDefined();
    expect(facts.durationSeconds).toBeCloseTo(3, 1);
  });
});
