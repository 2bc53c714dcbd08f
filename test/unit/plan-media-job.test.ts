import { describe, expect, it } from 'vitest';
import { planMediaJob, type PlanMediaJobArgs } from '../../functions/splitter/plan-media-job.ts';
import type { AudioFacts, MediaFacts, VideoFacts, VideoFrame } from '../../shared/media/ffmpeg/media-facts.ts';
import { RENDITION_PROFILE } from '../../shared/rendition-profile.ts';
import { expectRejected } from '../support/rejection-of.ts';

const JOB = 'clip-0123456789abcdef0123';

/** Frames at a constant rate, with a keyframe every `gop` frames. */
function cfr({ fps, seconds, gop }: { fps: number; seconds: number; gop: number }): VideoFrame[] {
  return Array.from({ length: Math.round(fps * seconds) }, (_, index) => ({ pts: index / fps, keyframe: index % gop === 0 }));
}

const picture = (facts: Partial<VideoFacts> = {}): VideoFacts => ({
  codec: 'h264',
  codedWidth: 1920,
  codedHeight: 1080,
  width: 1920,
  height: 1080,
  rotation: 0,
  sampleAspectRatio: [1, 1],
  frameRate: 30,
  frameCount: 360,
  pixelFormat: 'yuv420p',
  interlaced: false,
  ...facts,
});
const sound: AudioFacts = { codec: 'aac', channels: 2, sampleRate: 48_000, durationSeconds: 12 };

function args({ video, audio, durationSeconds = 12, frames, ...rest }: Partial<Omit<PlanMediaJobArgs, 'facts'>> & { video?: VideoFacts; audio?: AudioFacts; durationSeconds?: number }): PlanMediaJobArgs {
  const audioStreams = audio ? [{ index: video ? 1 : 0, codec: audio.codec, default: true }] : [];
  const facts: MediaFacts = { format: 'mp4', durationSeconds, startSeconds: 0, ...(video && { video }), ...(audio && { audio }), audioStreams, subtitleStreams: [], streamCount: 2 };
  return {
    jobId: JOB,
    upload: { bucket: 'in', key: 'clip.mp4', etag: 'e', size: 1000 },
    format: 'mp4',
    facts,
    frames: frames ?? (video ? cfr({ fps: video.frameRate, seconds: durationSeconds, gop: 60 }) : []),
    profile: RENDITION_PROFILE,
    workBucket: 'work',
    distributedMapThreshold: 1000,
    assemblerStorageBytes: 10 * 1024 ** 3,
    maxDurationSeconds: 24 * 3600,
    ...rest,
  };
}

const refused = (planArgs: PlanMediaJobArgs) => expectRejected(Promise.resolve(planArgs).then(planMediaJob), 'DURATION_EXCEEDED');

describe('planMediaJob', () => {
  it('with a quality target, puts it in the plan and searches every chunk first (one probe task each)', () => {
    const target = { metric: 'ssim' as const, value: 0.98 };
    const planned = planMediaJob(args({ video: picture(), audio: sound, qualityTarget: target }));
    expect(planned.plan.qualityTarget).toEqual(target);
    expect(planned.probeTasks).toEqual(planned.chunkTasks.map((task) => ({ ...task, kind: 'probe' })));
    expect(planned.probeTasks).toHaveLength(3);
    // Without one, or for audio alone, nothing to search.
    expect(planMediaJob(args({ video: picture() })).probeTasks).toEqual([]);
    expect(planMediaJob(args({ video: picture() })).plan.qualityTarget).toBeUndefined();
    const audioAlone = planMediaJob(args({ audio: sound, qualityTarget: target }));
    expect([audioAlone.probeTasks, audioAlone.plan.qualityTarget]).toEqual([[], undefined]);
  });

  it('plans a 1080p video with sound: the full ladder, 4 s chunks, the audio once, a poster and five thumbnails', () => {
    const planned = planMediaJob(args({ video: picture(), audio: sound }));

    expect(planned.source).toMatchObject({ mediaType: 'video', format: 'mp4', width: 1920, height: 1080, frameCount: 360, videoCodec: 'h264', audioCodec: 'aac' });
    expect(planned.plan.rungs.map((rung) => rung.name)).toEqual(['1080p', '720p', '480p', '360p']);
    expect(planned.plan).toMatchObject({ rotation: 0, deinterlace: false, gopSeconds: 2, segmentSeconds: 4, preset: 'veryfast', audio: { codec: 'aac', bitrateKbps: 128, channels: 2, sampleRate: 48000 } });
    expect(planned.plan.chunks.map((chunk) => chunk.startSeconds)).toEqual([0, 4, 8]);
    expect(planned.segments).toEqual([
      { key: `${JOB}/segments/00000.nut`, fromSeconds: 0, toSeconds: 4 },
      { key: `${JOB}/segments/00001.nut`, fromSeconds: 4, toSeconds: 8 },
      { key: `${JOB}/segments/00002.nut`, fromSeconds: 8 },
    ]);
    expect(planned.chunkTasks).toEqual([0, 1, 2].map((index) => ({ kind: 'chunk', jobId: JOB, index })));
    expect(planned.audioCuts).toEqual([{ key: `${JOB}/audio-sources/0.nut`, streamIndex: 1 }]);
    expect(planned.audioTasks).toEqual([{ kind: 'audio', jobId: JOB, track: 0 }]);
    expect(planned.fanOut).toBe('inline');
    // The poster at 10% (capped at 2 s), thumbnails in the middle of each fifth.
    expect(planned.stills.map((still) => still.seconds)).toEqual([1.2, 1.2, 3.6, 6, 8.4, 10.8]);
    // Each decoded from the keyframe at or before it (a 2 s GOP): what a demuxer without an index seeks to.
    expect(planned.stills.map((still) => still.fromKeyframeSeconds)).toEqual([0, 0, 2, 6, 8, 10]);
    expect(planned.imageTasks.filter((task) => task.role === 'poster').map((task) => [task.width, task.formats])).toEqual([
      [640, ['avif', 'webp', 'jpeg']],
      [1280, ['avif', 'webp', 'jpeg']],
    ]);
    expect(planned.imageTasks.filter((task) => task.role === 'thumbnail').map((task) => [task.ordinal, task.width, task.source.key])).toEqual(
      [1, 2, 3, 4, 5].map((ordinal) => [ordinal, 320, `${JOB}/stills/thumbnail-${ordinal}.png`]),
    );
  });

  it('plans an audio-only source: no ladder, no chunks, no stills, one audio task', () => {
    const planned = planMediaJob(args({ audio: sound }));
    expect(planned.source).toMatchObject({ mediaType: 'audio', audioCodec: 'aac' });
    expect(planned.source.width).toBeUndefined();
    expect(planned.plan).toMatchObject({ rungs: [], chunks: [], audio: { bitrateKbps: 128 } });
    expect(planned.plan.frameCount).toBeUndefined();
    expect([planned.segments, planned.stills, planned.chunkTasks, planned.imageTasks]).toEqual([[], [], [], []]);
    expect(planned.audioTasks).toHaveLength(1);
  });

  it('plans a video without sound: no audio plan, task or extract', () => {
    const planned = planMediaJob(args({ video: picture() }));
    expect(planned.plan.audio).toBeUndefined();
    expect(planned.audioCuts).toEqual([]);
    expect(planned.audioTasks).toEqual([]);
    expect(planned.chunkTasks).toHaveLength(3);
  });

  it('plans a rotated phone video by its displayed size: portrait rungs, the rotation for the encoder and the stills', () => {
    const planned = planMediaJob(args({ video: picture({ codedWidth: 1920, codedHeight: 1080, width: 1080, height: 1920, rotation: 90 }), audio: sound }));
    expect(planned.plan.rotation).toBe(90);
    expect(planned.plan.rungs.map((rung) => `${rung.name}:${rung.width}x${rung.height}`)).toEqual(['1080p:1080x1920', '720p:720x1280', '480p:480x854', '360p:360x640']);
    // Stills are capped at the displayed width, never the stored one.
    expect(planned.imageTasks.filter((task) => task.role === 'poster').map((task) => task.width)).toEqual([640, 1080]);
  });

  it('puts the shot changes that need an IDR into the plan (planSceneCuts); audio alone has none', () => {
    // 4 s chunks, 2 s GOPs: 1.3 s and 5 s are off the grid, 7.9 s is 0.1 s before its IDR at 8 s.
    const planned = planMediaJob(args({ video: picture(), detectedSceneCuts: [7.9, 1.3, 5] }));
    expect(planned.plan.sceneCuts).toEqual([1.3, 5]);
    expect(planMediaJob(args({ audio: sound, detectedSceneCuts: [1.3] })).plan.sceneCuts).toEqual([]);
  });

  it('plans how the rungs are measured: the metric it is given, at the displayed size capped to 1920×1080; nothing for audio alone', () => {
    const quality = { metric: 'ssim' as const, sampleEvery: 1 };
    const phone = planMediaJob(args({ video: picture({ codedWidth: 1920, codedHeight: 1080, width: 1080, height: 1920, rotation: 90 }), quality }));
    expect(phone.plan.quality).toEqual({ metric: 'ssim', sampleEvery: 1, referenceWidth: 608, referenceHeight: 1080 });
    expect(planMediaJob(args({ audio: sound, quality })).plan.quality).toBeUndefined();
  });

  it('deinterlaces an interlaced source', () => {
    expect(planMediaJob(args({ video: picture({ interlaced: true }) })).plan.deinterlace).toBe(true);
  });

  it('counts the listed frames where the container states no count (Matroska)', () => {
    const { frameCount: _, ...uncounted } = picture();
    const planned = planMediaJob(args({ video: uncounted, format: 'mkv' }));
    expect(planned.source.frameCount).toBe(360);
    expect(planned.plan.frameCount).toBe(360);
  });

  it('takes as many thumbnails as the profile says, and none when it says none', () => {
    const profile = (count: number) => ({ ...RENDITION_PROFILE, thumbnails: { ...RENDITION_PROFILE.thumbnails, count } });
    const two = planMediaJob(args({ video: picture(), profile: profile(2) }));
    expect(two.imageTasks.filter((task) => task.role === 'thumbnail').map((task) => task.ordinal)).toEqual([1, 2]);
    expect(two.stills).toHaveLength(3);
    const none = planMediaJob(args({ video: picture(), profile: profile(0) }));
    expect(none.imageTasks.map((task) => task.role)).toEqual(['poster', 'poster']);
  });

  it.each([
    [3, 'inline'],
    [2, 'distributed'],
  ] as const)('fans 3 chunks out through a %s-chunk threshold as %s', (distributedMapThreshold, fanOut) => {
    expect(planMediaJob(args({ video: picture(), distributedMapThreshold })).fanOut).toBe(fanOut);
  });

  it("refuses a video whose ladder would not fit the assembler's storage", async () => {
    // The full ladder with its audio peaks at ~2.4 MB/s on the assembler: 16 MiB holds 7 s, not 12.
    const error = await refused(args({ video: picture(), audio: sound, assemblerStorageBytes: 16 * 1024 ** 2 }));
    expect(error.detail).toMatch(/1080p ladder the assembler's 16 MiB of storage holds at most 7 s/);
  });

  it('refuses a video whose chunk tasks one execution input cannot carry', async () => {
    // 1 s chunks: 5 hours is 18,000 chunk tasks, past the 256 KiB input.
    const profile = { ...RENDITION_PROFILE, chunkSeconds: 1 };
    const error = await refused(args({ video: picture(), durationSeconds: 5 * 3600, frames: cfr({ fps: 1, seconds: 5 * 3600, gop: 1 }), profile, assemblerStorageBytes: 1024 ** 5 }));
    expect(error.detail).toMatch(/one execution's 256 KiB input carries at most/);
  });

  it('lets audio of any length through the video-only bounds', () => {
    expect(planMediaJob(args({ audio: sound, durationSeconds: 5 * 3600, assemblerStorageBytes: 1 })).audioTasks).toHaveLength(1);
  });

  it('plans one audio task per track and a WebVTT cut per text subtitle track, timed from the first frame', () => {
    const planArgs = args({ video: picture(), audio: sound, frames: cfr({ fps: 30, seconds: 12, gop: 60 }).map((frame) => ({ ...frame, pts: frame.pts + 0.5 })) });
    planArgs.facts.audioStreams = [
      { index: 1, codec: 'aac', language: 'fra', default: false },
      { index: 2, codec: 'aac', language: 'eng', default: true },
    ];
    planArgs.facts.subtitleStreams = [
      { index: 3, codec: 'mov_text', language: 'eng', default: false },
      { index: 4, codec: 'hdmv_pgs_subtitle', language: 'deu', default: false },
    ];
    const planned = planMediaJob(planArgs);
    expect(planned.plan.audioTracks).toEqual([
      { label: 'fr', language: 'fr', name: 'French', default: false },
      { label: 'en', language: 'en', name: 'English', default: true },
    ]);
    expect(planned.audioTasks).toEqual([0, 1].map((track) => ({ kind: 'audio', jobId: JOB, track })));
    expect(planned.audioCuts).toEqual([{ key: `${JOB}/audio-sources/0.nut`, streamIndex: 1 }, { key: `${JOB}/audio-sources/1.nut`, streamIndex: 2 }]);
    expect(planned.plan.subtitles).toEqual([{ label: 'en', language: 'en', name: 'English' }]);
    expect(planned.subtitleCuts).toEqual([{ key: `${JOB}/subtitles/0.vtt`, streamIndex: 3, startSeconds: 0.5 }]);
  });
});

/** A frame list with a stated packet duration on the last frame. */
const withLastDuration = (frames: VideoFrame[], durationSeconds: number): VideoFrame[] => [...frames.slice(0, -1), { ...frames.at(-1)!, durationSeconds }];

describe('planMediaJob believes the packets, not the headers', () => {
  it.each<{ name: string; frames: VideoFrame[]; audioSpan?: { startSeconds: number; endSeconds: number }; stated: number; duration: number; frameCount: number; firstChunk: { startSeconds: number; cutFromSeconds: number; frames: number } }>([
    {
      // ffmpeg -ss 1.3 -c copy: the GOP from 1.0 s is kept, its first 9 frames hidden below zero by the edit list.
      name: 'an MP4 trimmed by an edit list',
      frames: cfr({ fps: 30, seconds: 2, gop: 30 }).map((frame, index) => ({ ...frame, pts: frame.pts - 0.3, ...(index < 9 ? { discard: true } : {}) })),
      stated: 1.7,
      duration: 1.7,
      frameCount: 51,
      firstChunk: { startSeconds: 0, cutFromSeconds: -0.3, frames: 51 },
    },
    {
      // A recording joined mid-GOP: nothing before the first keyframe decodes.
      name: 'a file whose first frames precede its first keyframe',
      frames: cfr({ fps: 30, seconds: 3, gop: 30 }).map((frame, index) => ({ ...frame, keyframe: index === 10 || index === 40 || index === 70 })),
      stated: 3,
      duration: 3 - 10 / 30,
      frameCount: 80,
      firstChunk: { startSeconds: 10 / 30, cutFromSeconds: 10 / 30, frames: 80 },
    },
    {
      name: 'a 3 s file whose header says 1 h',
      frames: cfr({ fps: 30, seconds: 3, gop: 30 }),
      stated: 3600,
      duration: 3,
      frameCount: 90,
      firstChunk: { startSeconds: 0, cutFromSeconds: 0, frames: 90 },
    },
    {
      name: 'a WebM that states no duration (the probe measured it)',
      frames: cfr({ fps: 30, seconds: 2, gop: 60 }),
      audioSpan: { startSeconds: -0.0065, endSeconds: 2.0135 },
      stated: 2.02,
      duration: 2.0135,
      frameCount: 60,
      firstChunk: { startSeconds: 0, cutFromSeconds: 0, frames: 60 },
    },
    {
      name: 'a cover picture with 4 s of audio',
      frames: [{ pts: 0, keyframe: true, durationSeconds: 0.04 }],
      audioSpan: { startSeconds: 0, endSeconds: 4 },
      stated: 4,
      duration: 4,
      frameCount: 1,
      firstChunk: { startSeconds: 0, cutFromSeconds: 0, frames: 1 },
    },
    {
      name: 'a screen recording whose last frame lasts 2 s',
      frames: withLastDuration(cfr({ fps: 30, seconds: 1, gop: 30 }), 2),
      stated: 1 - 1 / 30 + 2,
      duration: 1 - 1 / 30 + 2,
      frameCount: 30,
      firstChunk: { startSeconds: 0, cutFromSeconds: 0, frames: 30 },
    },
  ])('$name: duration and frames as the packets show them', ({ frames, audioSpan, stated, duration, frameCount, firstChunk }) => {
    const planned = planMediaJob(args({ video: picture({ frameCount: frames.length }), ...(audioSpan && { audio: sound, audioSpan }), durationSeconds: stated, frames }));
    expect(planned.source.durationSeconds).toBeCloseTo(duration, 6);
    expect(planned.plan.durationSeconds).toBeCloseTo(duration, 6);
    expect(planned.source.frameCount).toBe(frameCount);
    expect(planned.plan.frameCount).toBe(frameCount);
    expect(planned.plan.chunks.reduce((sum, chunk) => sum + chunk.frames, 0)).toBe(frameCount);
    expect(planned.plan.chunks.reduce((sum, chunk) => sum + chunk.durationSeconds, 0)).toBeCloseTo(duration, 6);
    const [first] = planned.plan.chunks;
    expect(first!.startSeconds).toBeCloseTo(firstChunk.startSeconds, 9);
    expect(first!.cutFromSeconds).toBeCloseTo(firstChunk.cutFromSeconds, 9);
    expect(planned.plan.chunks.length === 1 ? first!.frames : firstChunk.frames).toBe(firstChunk.frames);
    expect(planned.segments[0]!.fromSeconds).toBeCloseTo(firstChunk.cutFromSeconds, 9);
    // Every still on a frame a player shows.
    const shown = frames.filter((frame) => !frame.discard && frame.pts >= firstChunk.startSeconds - 1e-9).map((frame) => frame.pts);
    expect(planned.stills).toHaveLength(6);
    for (const still of planned.stills) expect(shown).toContain(still.seconds);
  });

  it('gives a single-frame video its ladder, poster and thumbnails', () => {
    const planned = planMediaJob(args({ video: picture({ frameCount: 1 }), durationSeconds: 0.04, frames: [{ pts: 0, keyframe: true }] }));
    expect(planned.plan.rungs.length).toBeGreaterThan(0);
    expect(planned.plan.chunks).toMatchObject([{ startSeconds: 0, frames: 1 }]);
    expect(planned.stills.map((still) => still.seconds)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(planned.imageTasks.some((task) => task.role === 'poster')).toBe(true);
  });

  it('ends the last chunk before frames an edit list hides after it', () => {
    const frames = cfr({ fps: 30, seconds: 2, gop: 30 }).map((frame, index) => (index >= 45 ? { ...frame, discard: true } : frame));
    const planned = planMediaJob(args({ video: picture({ frameCount: 60 }), durationSeconds: 1.5, frames }));
    expect(planned.plan.chunks.at(-1)!.endSeconds).toBeCloseTo(1.5, 9);
    expect(planned.segments.at(-1)!.toSeconds).toBeCloseTo(1.5, 9);
    expect(planned.plan.frameCount).toBe(45);
  });

  it('refuses (CORRUPT_INPUT) a video none of whose frames would be shown: an edit list past the media', async () => {
    const frames = cfr({ fps: 30, seconds: 1, gop: 30 }).map((frame) => ({ ...frame, discard: true }));
    await expectRejected(Promise.resolve(args({ video: picture(), frames })).then(planMediaJob), 'CORRUPT_INPUT');
  });

  it('refuses (CORRUPT_INPUT) an MP4 cut off mid-data: fewer packets than its index lists', async () => {
    const error = await expectRejected(Promise.resolve(args({ video: picture({ frameCount: 90 }), durationSeconds: 3, frames: cfr({ fps: 30, seconds: 1.8, gop: 30 }) })).then(planMediaJob), 'CORRUPT_INPUT');
    expect(error.detail).toMatch(/cut short: its index lists 90 video frames, its data holds 54/);
  });

  it('refuses (DURATION_EXCEEDED) packets that span more than the limit, whatever the header says', async () => {
    const error = await refused(args({ video: picture({ frameCount: 120 }), durationSeconds: 10, frames: cfr({ fps: 1, seconds: 120, gop: 10 }), maxDurationSeconds: 60 }));
    expect(error.detail).toMatch(/120 s of media, the limit is 60 s/);
  });
});
