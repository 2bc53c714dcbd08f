import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  concatScriptText,
  hlsPlaylistText,
  LONG_GOP_FIXTURE,
  VFR_FIXTURE,
  videoFixture,
  type VideoFixtureName,
} from '../../fixtures/videos.ts';
import { InputRejectedError, InternalError, TransientError } from '../../shared/errors.ts';
import { listVideoFrames } from '../../shared/media/ffmpeg/list-video-frames.ts';
import type { AudioFacts, MediaFacts, MediaLimits, VideoFacts } from '../../shared/media/ffmpeg/media-facts.ts';
import { probeMedia } from '../../shared/media/ffmpeg/probe-media.ts';
import { MediaInputFormat } from '../../shared/media/ffmpeg/source-demuxer.ts';
import { expectRejected, rejectionOf } from '../support/rejection-of.ts';

const execFileAsync = promisify(execFile);

/** strace needs ptrace, which some sandboxes deny: the traced tests are skipped there. */
const traceWorks = await canTrace();

const limits: MediaLimits = { maxDurationSeconds: 3600, maxWidth: 3840, maxHeight: 2160, maxStreams: 8 };

/** probeMedia on a fixture, with some of the limits changed. */
async function probeFixture(name: VideoFixtureName, format: MediaInputFormat, changed: Partial<MediaLimits> = {}): Promise<MediaFacts> {
  return probeMedia(await videoFixture(name), { format, limits: { ...limits, ...changed } });
}


/** Waits for a promise whichever way it goes. */
async function settled(promise: Promise<unknown>): Promise<void> {
  await promise.then(
    () => undefined,
    () => undefined,
  );
}

/** A 640×360 square-pixel yuv420p picture, unturned, as most fixtures are; rows override the rest. */
const picture = (facts: Partial<VideoFacts> & Pick<VideoFacts, 'codec' | 'frameRate' | 'frameCount'>): VideoFacts => ({
  codedWidth: 640,
  codedHeight: 360,
  width: 640,
  height: 360,
  rotation: 0,
  sampleAspectRatio: [1, 1],
  pixelFormat: 'yuv420p',
  interlaced: false,
  ...facts,
});
const stereo = (codec: AudioFacts['codec'], durationSeconds: number): AudioFacts => ({
  codec,
  channels: 2,
  sampleRate: 48_000,
  durationSeconds,
});

/** The facts each good fixture was made with; durations and rates are checked to within 0.05. */
const EXPECTED: Array<[VideoFixtureName, MediaInputFormat, MediaFacts]> = [
  ['h264.mp4', 'mp4', {
    format: 'mp4', durationSeconds: 6, startSeconds: 0, streamCount: 2,
    video: picture({ codec: 'h264', frameRate: 30, frameCount: 180 }),
    audio: stereo('aac', 6),
  }],
  ['hevc.mov', 'mov', {
    format: 'mov', durationSeconds: 4, startSeconds: 0, streamCount: 2,
    video: picture({ codec: 'hevc', frameRate: 25, frameCount: 100 }),
    audio: stereo('aac', 3.95),
  }],
  ['vp9.webm', 'webm', {
    // Matroska states no frame count (counted) and no per-track duration (the file's is used).
    format: 'webm', durationSeconds: 4, startSeconds: 0, streamCount: 2,
    video: picture({ codec: 'vp9', frameRate: 30, frameCount: 120 }),
    audio: stereo('opus', 4),
  }],
  ['odd-size.mp4', 'mp4', {
    format: 'mp4', durationSeconds: 2, startSeconds: 0, streamCount: 2,
    video: picture({ codec: 'h264', frameRate: 30, frameCount: 60, codedWidth: 1918, codedHeight: 1078, width: 1918, height: 1078 }),
    audio: stereo('aac', 1.96),
  }],
  ['rotated.mp4', 'mp4', {
    // Stored 640×360, shown turned 90° clockwise.
    format: 'mp4', durationSeconds: 4, startSeconds: 0, streamCount: 2,
    video: picture({ codec: 'h264', frameRate: 30, frameCount: 120, width: 360, height: 640, rotation: 90 }),
    audio: stereo('aac', 3.97),
  }],
  ['vfr.mp4', 'mp4', {
    // 80 frames over 3.967 s: the average rate is 80 / 3.967.
    format: 'mp4', durationSeconds: 3.97, startSeconds: 0, streamCount: 2,
    video: picture({ codec: 'h264', frameRate: 20.17, frameCount: 80 }),
    audio: stereo('aac', 3.92),
  }],
  ['long-gop.mp4', 'mp4', {
    format: 'mp4', durationSeconds: 21, startSeconds: 0, streamCount: 2,
    video: picture({ codec: 'h264', frameRate: 30, frameCount: 630, codedWidth: 320, codedHeight: 180, width: 320, height: 180 }),
    audio: stereo('aac', 20.97),
  }],
  ['audio-only.m4a', 'm4a', { format: 'm4a', durationSeconds: 5, startSeconds: 0, streamCount: 1, audio: stereo('aac', 5) }],
  ['audio-only.mp3', 'mp3', {
    // LAME's encoder delay: the first frame is presented at 0.023 s.
    format: 'mp3', durationSeconds: 5.04, startSeconds: 0.02, streamCount: 1,
    audio: stereo('mp3', 5.04),
  }],
  ['video-only.mp4', 'mp4', {
    format: 'mp4', durationSeconds: 4, startSeconds: 0, streamCount: 1,
    video: picture({ codec: 'h264', frameRate: 30, frameCount: 120 }),
  }],
  // Coded as fields, the field order stated only per frame: flagged all the same.
  ['interlaced-mpeg4.mp4', 'mp4', {
    format: 'mp4', durationSeconds: 2, startSeconds: 0, streamCount: 1,
    video: picture({ codec: 'mpeg4', codedWidth: 320, codedHeight: 240, width: 320, height: 240, frameRate: 25, frameCount: 50, interlaced: true }),
  }],
  // Coded as fields, top first: flagged for deinterlacing.
  ['interlaced.mp4', 'mp4', {
    format: 'mp4', durationSeconds: 4, startSeconds: 0, streamCount: 2,
    video: picture({ codec: 'h264', frameRate: 25, frameCount: 100, interlaced: true }),
    audio: stereo('aac', 4),
  }],
  ['anamorphic.mkv', 'mkv', {
    // 480 stored pixels, each 4:3 wide, are 640 displayed.
    format: 'mkv', durationSeconds: 2.02, startSeconds: 0, streamCount: 2,
    video: picture({ codec: 'h264', frameRate: 30, frameCount: 60, codedWidth: 480, sampleAspectRatio: [4, 3] }),
    audio: stereo('aac', 2.02),
  }],
  ['cover-art.mp3', 'mp3', {
    // The front cover is a stream (mjpeg, attached_pic) but not video.
    format: 'mp3', durationSeconds: 3.02, startSeconds: 0.02, streamCount: 2,
    audio: stereo('mp3', 3.02),
  }],
];

/** `expected` with its durations, start and frame rate made approximate. */
function approximately(expected: MediaFacts): unknown {
  const near = (value: number): unknown => expect.closeTo(value, 1);
  return {
    ...expected,
    durationSeconds: near(expected.durationSeconds),
    startSeconds: near(expected.startSeconds),
    video: expected.video && { ...expected.video, frameRate: near(expected.video.frameRate) },
    audio: expected.audio && { ...expected.audio, durationSeconds: near(expected.audio.durationSeconds) },
    // Every stream's labels: checked on the fixtures made for them (tracks.mp4, tracks.mkv).
    audioStreams: expect.any(Array),
    subtitleStreams: expect.any(Array),
  };
}

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-probe-media-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('probeMedia', () => {
  it.each(EXPECTED)('%s probes to the facts it was made with', async (name, format, expected) => {
    const facts = await probeMedia(await videoFixture(name), { format, limits });
    expect(facts).toEqual(approximately(expected));
    // Absent, not undefined-valued, so the facts serialise as the contract says.
    expect(Object.keys(facts).sort()).toEqual([...Object.keys(expected), 'audioStreams', 'subtitleStreams'].sort());
  });

  it('finds a truncated MP4 without its moov corrupt', async () => {
    const error = await expectRejected(probeFixture('no-moov.mp4', 'mp4'), 'CORRUPT_INPUT');
    expect(error.detail).toContain('moov atom not found');
  });

  it('finds an empty file corrupt', async () => {
    await expectRejected(probeFixture('empty.mp4', 'mp4'), 'CORRUPT_INPUT');
  });

  // The demuxer is forced, so another container is never read as what it is: the forced demuxer
  // fails on its bytes (CORRUPT_INPUT). DEMUXER_NOT_ALLOWED would need ffprobe to report another
  // demuxer than the one it was forced to use, which does not happen with ffprobe 5.1.
  it.each<[VideoFixtureName, MediaInputFormat, string]>([
    ['anamorphic.mkv', 'mp4', 'moov atom not found'],
    ['vp9.webm', 'mov', 'moov atom not found'],
    ['h264.mp4', 'mkv', 'EBML header parsing failed'],
  ])('rejects a valid %s probed as %s as CORRUPT_INPUT', async (name, format, cause) => {
    const error = await expectRejected(probeFixture(name, format), 'CORRUPT_INPUT');
    expect(error.detail).toContain(cause);
  });

  it('rejects a file longer than the limit', async () => {
    await expect(probeFixture('h264.mp4', 'mp4', { maxDurationSeconds: 6 })).resolves.toBeDefined();
    await expectRejected(probeFixture('h264.mp4', 'mp4', { maxDurationSeconds: 5.9 }), 'DURATION_EXCEEDED');
  });

  it('rejects a picture larger than the limit, in either orientation', async () => {
    await expect(probeFixture('odd-size.mp4', 'mp4', { maxWidth: 1920, maxHeight: 1080 })).resolves.toBeDefined();
    const error = await expectRejected(probeFixture('odd-size.mp4', 'mp4', { maxWidth: 1280, maxHeight: 720 }), 'DIMENSIONS_EXCEEDED');
    expect(error.detail).toContain('1918×1078');
    // Displayed 360×640: fits a 640×360 limit turned on its side, not a 638×360 one.
    await expect(probeFixture('rotated.mp4', 'mp4', { maxWidth: 640, maxHeight: 360 })).resolves.toBeDefined();
    await expectRejected(probeFixture('rotated.mp4', 'mp4', { maxWidth: 638, maxHeight: 360 }), 'DIMENSIONS_EXCEEDED');
    // The limit applies to the displayed size: 480 stored, 640 displayed.
    await expectRejected(probeFixture('anamorphic.mkv', 'mkv', { maxWidth: 600, maxHeight: 600 }), 'DIMENSIONS_EXCEEDED');
  });

  it('rejects more streams than the limit', async () => {
    await expect(probeFixture('h264.mp4', 'mp4', { maxStreams: 2 })).resolves.toBeDefined();
    await expectRejected(probeFixture('h264.mp4', 'mp4', { maxStreams: 1 }), 'TOO_MANY_STREAMS');
  });

  it('rejects a codec outside the allowlist', async () => {
    const error = await expectRejected(probeFixture('mjpeg.mov', 'mov'), 'UNSUPPORTED_MEDIA_TYPE');
    expect(error.detail).toContain('mjpeg');
  });

  it('rejects a valid file with neither audio nor video', async () => {
    const error = await expectRejected(probeFixture('subtitles-only.mp4', 'mp4'), 'NO_MEDIA_STREAMS');
    expect(error.detail).toContain('subtitle');
  });

  it('kills an ffprobe that hangs when it outruns its timeout, as a transient failure', async () => {
    const hanging = join(workDir, 'hanging-ffprobe.sh');
    await writeFile(hanging, '#!/bin/sh\nexec sleep 60\n');
    await chmod(hanging, 0o755);
    const started = performance.now();
    const error = await rejectionOf(probeMedia(await videoFixture('h264.mp4'), { format: 'mp4', limits, ffprobePath: hanging, timeoutMs: 300 }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'TASK_TIMED_OUT' });
    // Settled once the process was gone, not when `sleep 60` would have ended.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('blames the host, not the file, when ffprobe is killed by a signal it was not sent: a retry may succeed', async () => {
    const killed = join(workDir, 'killed-ffprobe.sh');
    await writeFile(killed, '#!/bin/sh\nkill -KILL $$\n');
    await chmod(killed, 0o755);
    const error = await rejectionOf(probeMedia(await videoFixture('h264.mp4'), { format: 'mp4', limits, ffprobePath: killed }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'WORKER_CRASHED' });
  });

  it('blames the host, not the file, when ffprobe cannot be run or the path is relative', async () => {
    const path = await videoFixture('h264.mp4');
    const missing = await rejectionOf(probeMedia(path, { format: 'mp4', limits, ffprobePath: '/nonexistent/ffprobe' }));
    expect(missing).toBeInstanceOf(InternalError);
    // A relative path is our bug, refused by the one fileUrl (ffmpeg-args.ts) as for every ffmpeg
    // run: a TypeError, which the splitter ends as a failed job (INTERNAL), never as the file's fault.
    const relative = await rejectionOf(probeMedia('fixtures/generated/h264.mp4', { format: 'mp4', limits }));
    expect(relative).toBeInstanceOf(TypeError);
    expect(relative).not.toBeInstanceOf(InputRejectedError);
  });
});

describe('listVideoFrames', () => {
  const deltas = (pts: number[]): number[] => pts.slice(1).map((value, index) => value - (pts[index] ?? 0));

  it('lists every frame of a constant-rate video with its keyframes, in presentation order', async () => {
    const frames = await listVideoFrames(await videoFixture('h264.mp4'), { format: 'mp4' });
    expect(frames).toHaveLength(180);
    expect(frames.filter((frame) => frame.keyframe).map((frame) => frame.pts)).toEqual([0, 2, 4]);
    // Exact: pts are ticks of 1/15360 s, 512 ticks a frame.
    expect(frames.map((frame) => frame.pts)).toEqual(Array.from({ length: 180 }, (_, index) => (index * 512) / 15_360));
  });

  it('keeps the exact timestamps of a variable-frame-rate video', async () => {
    const frames = await listVideoFrames(await videoFixture('vfr.mp4'), { format: 'mp4' });
    expect(frames).toHaveLength(80);
    const intervals = deltas(frames.map((frame) => frame.pts));
    // Intervals alternate 1/30 s and 1/15 s: not uniform, and never reordered.
    intervals.forEach((interval, index) => expect(interval).toBeCloseTo(VFR_FIXTURE.intervals[index % 2] ?? 0, 9));
  });

  it('finds the keyframes of a long GOP only where they are', async () => {
    const frames = await listVideoFrames(await videoFixture('long-gop.mp4'), { format: 'mp4' });
    expect(frames).toHaveLength(LONG_GOP_FIXTURE.fps * LONG_GOP_FIXTURE.durationSeconds);
    expect(frames.filter((frame) => frame.keyframe).map((frame) => frame.pts)).toEqual(LONG_GOP_FIXTURE.keyframeSeconds);
  });

  it('reads Matroska packets in presentation order', async () => {
    const frames = await listVideoFrames(await videoFixture('vp9.webm'), { format: 'webm' });
    expect(frames).toHaveLength(120);
    expect(frames[0]).toMatchObject({ pts: 0.007, keyframe: true });
    expect(deltas(frames.map((frame) => frame.pts)).every((interval) => interval > 0)).toBe(true);
  });

  it.each<[VideoFixtureName, MediaInputFormat]>([
    ['hevc.mov', 'mov'],
    ['rotated.mp4', 'mp4'],
    ['anamorphic.mkv', 'mkv'],
    ['video-only.mp4', 'mp4'],
  ])('lists as many frames in %s as probeMedia counts', async (name, format) => {
    const path = await videoFixture(name);
    const facts = await probeMedia(path, { format, limits });
    expect(facts.video?.frameCount).toBeGreaterThan(0);
    expect(await listVideoFrames(path, { format })).toHaveLength(facts.video?.frameCount ?? -1);
  });

  it('lists nothing for audio, and skips cover art', async () => {
    expect(await listVideoFrames(await videoFixture('audio-only.m4a'), { format: 'm4a' })).toEqual([]);
    expect(await listVideoFrames(await videoFixture('cover-art.mp3'), { format: 'mp3' })).toEqual([]);
  });

  it('stops at maxFrames', async () => {
    const path = await videoFixture('long-gop.mp4');
    await expectRejected(listVideoFrames(path, { format: 'mp4', maxFrames: 100 }), 'INPUT_TOO_LARGE');
  });

  it('finds a file without its moov corrupt', async () => {
    await expectRejected(listVideoFrames(await videoFixture('no-moov.mp4'), { format: 'mp4' }), 'CORRUPT_INPUT');
  });
});

/**
 * A text file named .mp4 that ffmpeg would read as an HLS playlist or an ffconcat script, were it
 * allowed to pick the demuxer from the bytes, would make it fetch URLs or read other files. Each
 * probe here runs under strace, which records every file and network system call ffprobe makes,
 * next to an HTTP server that counts the requests it gets.
 */
describe('untrusted input stays inside the file', () => {
  let server: Server;
  const requests: string[] = [];
  let playlistPath: string;
  let concatPath: string;
  let relativeConcatPath: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the HTTP server has no port');
    const port = address.port;
    playlistPath = join(workDir, 'playlist.mp4');
    await writeFile(playlistPath, hlsPlaylistText(`http://127.0.0.1:${port}/`));
    // The playlist's relative segment exists, so opening it would succeed.
    await writeFile(join(workDir, 'segment1.ts'), 'not a transport stream');
    concatPath = await videoFixture('concat.mp4');
    relativeConcatPath = join(workDir, 'concat-relative.mp4');
    await writeFile(relativeConcatPath, concatScriptText('canary.mp4'));
    await writeFile(join(workDir, 'canary.mp4'), await readFile(await videoFixture('video-only.mp4')));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('the server sees ffmpeg fetch a segment when the playlist is read as HLS with http allowed', async () => {
    // The control: proves the playlist and the server would catch a fetch. ffprobe is run bare
    // here, on purpose, with the protections probeMedia adds taken away.
    const before = requests.length;
    await settled(execFileAsync('ffprobe', ['-v', 'error', '-protocol_whitelist', 'file,http,tcp', '-f', 'hls', `file:${playlistPath}`]));
    expect(requests.slice(before)).toContain('/segment0.ts');
  });

  it('probing the HLS playlist as mp4 fetches nothing', async () => {
    const before = requests.length;
    await expectRejected(probeMedia(playlistPath, { format: 'mp4', limits }), 'CORRUPT_INPUT');
    await expectRejected(listVideoFrames(playlistPath, { format: 'mp4' }), 'CORRUPT_INPUT');
    expect(requests.slice(before)).toEqual([]);
  });

  it.runIf(traceWorks)('probing the HLS playlist as any accepted format reads nothing but the file', async () => {
    const before = requests.length;
    const traces = await Promise.all(MediaInputFormat.options.map((format) => probeTraced(playlistPath, format)));
    for (const { format, paths, network } of traces) {
      // The trace sees ffprobe open its input: an empty trace would prove nothing.
      expect(paths, format).toContain(playlistPath);
      expect(paths.filter((path) => path.endsWith('segment1.ts')), format).toEqual([]);
      expect(network, format).toEqual([]);
    }
    expect(requests.slice(before)).toEqual([]);
  });

  // The fixture names /etc/passwd, which ffmpeg's concat demuxer already refuses in its default
  // safe mode; a script naming a relative file, which that mode allows, is what shows that only
  // probeMedia's forced demuxer keeps the file from being opened.
  it.runIf(traceWorks)('probing an ffconcat script as any accepted format opens nothing it names', async () => {
    expect(concatScriptText()).toContain('/etc/passwd');
    const probes = [
      probeTraced(concatPath, 'mp4'),
      ...MediaInputFormat.options.map((format) => probeTraced(relativeConcatPath, format)),
    ];
    for (const { path, format, paths, network } of await Promise.all(probes)) {
      expect(paths, format).toContain(path);
      expect(paths.filter((opened) => opened.includes('passwd') || opened.endsWith('canary.mp4')), format).toEqual([]);
      expect(network, format).toEqual([]);
    }
  });

  /**
   * probeMedia under strace; for mp4 listVideoFrames too (it pins the input the same way). Both
   * must reject the file.
   */
  async function probeTraced(path: string, format: MediaInputFormat): Promise<Trace & { path: string; format: MediaInputFormat }> {
    const traced = await tracedFfprobe(workDir, `${basename(path)}-${format}`);
    await expectRejected(probeMedia(path, { format, limits, ffprobePath: traced.path }), 'CORRUPT_INPUT');
    if (format === 'mp4') {
      await expectRejected(listVideoFrames(path, { format, ffprobePath: traced.path }), 'CORRUPT_INPUT');
    }
    return { path, format, ...(await traced.read()) };
  }
});

async function canTrace(): Promise<boolean> {
  try {
    await execFileAsync('strace', ['-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', 'true']);
    return true;
  } catch {
    return false;
  }
}

interface Trace {
  /** Every path a file system call named. */
  paths: string[];
  /** Every network system call. */
  network: string[];
}

/** An ffprobe stand-in that runs the real one under strace, recording into its own trace file. */
async function tracedFfprobe(dir: string, name: string): Promise<{ path: string; read: () => Promise<Trace> }> {
  const path = join(dir, `ffprobe-${name}.sh`);
  const traceFile = join(dir, `ffprobe-${name}.trace`);
  await writeFile(path, `#!/bin/sh\nexec strace -f -qq --seccomp-bpf -o '${traceFile}' -e trace=%file,%network ffprobe "$@"\n`);
  await chmod(path, 0o755);
  return {
    path,
    read: async () => {
      const lines = (await readFile(traceFile, 'utf8')).split('\n');
      return {
        paths: lines.flatMap((line) => [...line.matchAll(/"([^"]*)"/g)].map((match) => match[1] ?? '')),
        network: lines.filter((line) => /\b(socket|connect|sendto|bind)\(/.test(line)),
      };
    },
  };
}
