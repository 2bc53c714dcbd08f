/**
 * Every decision of the splitter's video and audio branch, in one pure function: from the
 * probe's facts and the video's frame list to the source facts, the ladder, the chunk table,
 * the stills and their resize tasks, the audio plan, the fan-out kind and the Map items. It
 * refuses (DURATION_EXCEEDED) a source whose ladder the assembler's storage cannot hold, or
 * whose chunk tasks one execution's input cannot carry. The executor (prepare-media-job.ts)
 * does what it says: cut, extract, upload.
 *
 * The packets are believed over the headers: the duration and frame count planned and reported
 * are those of the frames a player shows (not flagged discard by an edit list, not before the
 * first keyframe) and the audio's packets, never a container's stated values, which may be
 * missing (a browser's WebM) or false. So the work a job causes is bounded by its bytes: every
 * frame planned is a distinct packet in the file (listPackets refuses an index that reads the
 * same bytes twice or points past the file's end), and the duration is what those packets span.
 */
import type { SourceFacts } from '../../shared/contracts/manifest.ts';
import type { QualityTarget } from '../../shared/contracts/quality.ts';
import { InputRejectedError } from '../../shared/errors.ts';
import type { MediaPlan, SplitResult } from '../../shared/contracts/work-plan.ts';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { keys } from '../../shared/keys.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';
import type { MediaFacts, VideoFrame } from '../../shared/media/ffmpeg/media-facts.ts';
import type { MediaInputFormat } from '../../shared/media/ffmpeg/source-demuxer.ts';
import type { RenditionProfile } from '../../shared/rendition-profile.ts';
import { checkAssemblyFits } from './plan-assembly-storage.ts';
import { planChunks, shownFrames } from './plan-chunks.ts';
import { checkExecutionInputFits } from './plan-execution-size.ts';
import { planImageSizes } from './plan-image-sizes.ts';
import { planLadder } from './plan-ladder.ts';
import { planSceneCuts } from './plan-scene-cuts.ts';
import { planStills } from './plan-stills.ts';
import { planStoryboardTiles } from './plan-storyboard-tiles.ts';
import { planStoryboard, storyboardCues } from '../../shared/storyboard/plan-storyboard.ts';
import { planTracks } from './plan-tracks.ts';
import { planQualityMeasurement } from './plan-quality-measurement.ts';
import type { QualityMetric } from '../../shared/contracts/quality.ts';

/** The parts of the profile a video or audio job is planned with. */
export type MediaProfile = Pick<RenditionProfile, 'ladder' | 'poster' | 'thumbnails' | 'gopSeconds' | 'segmentSeconds' | 'chunkSeconds' | 'x264Preset' | 'audio' | 'storyboard' | 'sceneCuts'>;

export interface PlanMediaJobArgs {
  jobId: string;
  upload: UploadRef;
  format: MediaInputFormat;
  facts: MediaFacts;
  /**
   * Every packet of the video stream, discarded ones included (listPackets); empty for an
   * audio-only source.
   */
  frames: readonly VideoFrame[];
  /** The shot changes detectSceneCuts found (source seconds); planSceneCuts keeps those that need an IDR. */
  detectedSceneCuts?: readonly number[];
  /** Where the audio's packets start and end (listPackets), when the source has audio. */
  audioSpan?: { startSeconds: number; endSeconds: number };
  /** The longest source accepted, checked against the measured duration. */
  maxDurationSeconds: number;
  profile: MediaProfile;
  /** Where intermediates go: the segments, the extracted audio, the stills. */
  workBucket: string;
  /** More chunks than this go through a Distributed Map on AWS. */
  distributedMapThreshold: number;
  /** The assembler's /tmp: a source whose ladder would not fit there is refused up front. */
  assemblerStorageBytes: number;
  /** How a video's rungs are measured: the metric the ffmpeg in use offers, and every n-th frame. Unset: not measured. */
  quality?: { metric: QualityMetric; sampleEvery: number };
  /** Set: every chunk's CRF is searched (probe tasks) to reach it, and the ladder pruned. */
  qualityTarget?: QualityTarget;
}

/** One stream copy of the source: a chunk's segment, from its cut keyframe to the next chunk's start. */
export interface SegmentCut {
  key: string;
  fromSeconds: number;
  /** Undefined for the last chunk: to the end. */
  toSeconds?: number;
}

/** One frame taken out of the source as a PNG, upright and deinterlaced as the plan says. */
export interface StillCut {
  key: string;
  seconds: number;
  /**
   * The keyframe at or before it, hidden or not, where decoding starts: a demuxer without an
   * index (MPEG-TS) seeks to a keyframe's time reliably, to a time between keyframes not always.
   */
  fromKeyframeSeconds: number;
}

/** One stream of the source copied out whole (`-map 0:<streamIndex>`). */
export interface TrackCut {
  key: string;
  streamIndex: number;
}

/** A subtitle stream turned into WebVTT, its cue times moved so that `startSeconds` (source time, the video's first frame) is zero. */
export interface SubtitleCut extends TrackCut {
  startSeconds: number;
}

export interface MediaJobPlan {
  source: SourceFacts;
  /** Written to the work bucket at keys.plan(jobId); the encoder and assembler read it there. */
  plan: MediaPlan;
  segments: SegmentCut[];
  /** In time order: the poster, then the thumbnails. */
  stills: StillCut[];
  /** Each audio track's source stream, copied once for its audio task (in track order). */
  audioCuts: TrackCut[];
  /** Each text subtitle track, as WebVTT on the video's timeline (in track order). */
  subtitleCuts: SubtitleCut[];
  fanOut: SplitResult['fanOut'];
  chunkTasks: NonNullable<SplitResult['chunkTasks']>;
  audioTasks: NonNullable<SplitResult['audioTasks']>;
  /** Target mode: one CRF search per chunk, run before any chunk is encoded. */
  probeTasks: NonNullable<SplitResult['probeTasks']>;
  imageTasks: SplitResult['imageTasks'];
}

export function planMediaJob(args: PlanMediaJobArgs): MediaJobPlan {
  const { jobId, upload, format, facts, frames, profile, workBucket } = args;
  const { video, audio } = facts;
  // mov states its sample count: fewer packets than that is data cut off (the demuxer stops at
  // the first sample past the end), an interrupted upload, refused before any encode.
  if (video?.frameCount !== undefined && frames.length < video.frameCount) {
    throw new InputRejectedError('CORRUPT_INPUT', `the file is cut short: its index lists ${video.frameCount} video frames, its data holds ${frames.length} (an interrupted upload?)`);
  }
  const timeline = measureTimeline({ frames: video ? frames : [], audioSpan: audio ? args.audioSpan : undefined, frameRate: video?.frameRate, statedSeconds: facts.durationSeconds });
  const { durationSeconds, endSeconds, shown } = timeline;
  if (durationSeconds > args.maxDurationSeconds) {
    throw new InputRejectedError('DURATION_EXCEEDED', `${Number(durationSeconds.toFixed(3))} s of media, the limit is ${args.maxDurationSeconds} s`);
  }
  const frameCount = video ? shown.length : undefined;
  const source: SourceFacts = {
    ...upload,
    mediaType: video ? 'video' : 'audio',
    format,
    durationSeconds,
    ...(video ? { width: video.width, height: video.height, frameRate: video.frameRate, frameCount, videoCodec: video.codec } : {}),
    ...(audio ? { audioCodec: audio.codec } : {}),
  };

  const tracks = planTracks({ audioStreams: facts.audioStreams ?? [], subtitleStreams: facts.subtitleStreams ?? [], withVideo: Boolean(video) });
  const rungs = video ? planLadder({ width: video.width, height: video.height, ladder: profile.ladder }) : [];
  if (video) {
    checkAssemblyFits({ rungs, audioKbps: profile.audio.bitrateKbps * tracks.audio.length, chunkSeconds: profile.chunkSeconds, storageBytes: args.assemblerStorageBytes, durationSeconds });
    checkExecutionInputFits({ jobId, durationSeconds, chunkSeconds: profile.chunkSeconds });
  }

  const chunks = video ? planChunks({ frames, chunkSeconds: profile.chunkSeconds, endSeconds }) : [];
  const segments = chunks.map((chunk) => ({
    key: keys.segment(jobId, chunk.index, INTERMEDIATE_FORMAT.extension),
    fromSeconds: chunk.cutFromSeconds,
    ...(chunk.endSeconds === undefined ? {} : { toSeconds: chunk.endSeconds }),
  }));

  const stills = video ? planStills({ framesSeconds: shown.map((frame) => frame.pts), endSeconds, thumbnails: profile.thumbnails.count }) : undefined;
  const keyframes = frames.filter((frame) => frame.keyframe).map((frame) => frame.pts);
  const still = (name: string, seconds: number): StillCut => ({ key: keys.still(jobId, name), seconds, fromKeyframeSeconds: keyframeAtOrBefore(keyframes, seconds) });
  const stillCuts = stills ? [still('poster', stills.posterSeconds), ...stills.thumbnailSeconds.map((seconds, index) => still(`thumbnail-${index + 1}`, seconds))] : [];
  const imageTasks: SplitResult['imageTasks'] = video
    ? stillCuts.flatMap(({ key }, index) => {
        const [role, sizes] = index === 0 ? (['poster', profile.poster] as const) : (['thumbnail', profile.thumbnails] as const);
        return planImageSizes({ sourceWidth: video.width, widths: sizes.widths }).map((width) => ({
          jobId,
          source: { bucket: workBucket, key },
          role,
          ...(role === 'thumbnail' ? { ordinal: index } : {}),
          width,
          formats: [...sizes.formats],
        }));
      })
    : [];

  const storyboard = video && chunks.length > 0 ? planVideoStoryboard({ durationSeconds, width: video.width, height: video.height, shown, chunks, profile: profile.storyboard }) : undefined;

  const plan: MediaPlan = {
    jobId,
    rotation: video?.rotation ?? 0,
    durationSeconds,
    ...(video ? { frameRate: video.frameRate, frameCount } : {}),
    gopSeconds: profile.gopSeconds,
    segmentSeconds: profile.segmentSeconds,
    preset: profile.x264Preset,
    deinterlace: video?.interlaced ?? false,
    rungs,
    chunks,
    ...(tracks.audio.length > 0 ? { audio: { ...profile.audio } } : {}),
    audioTracks: tracks.audio.map(({ streamIndex: _, ...track }) => track),
    subtitles: tracks.subtitles.map(({ streamIndex: _, ...track }) => track),
    ...(storyboard ? { storyboard } : {}),
    sceneCuts: planSceneCuts({ detected: args.detectedSceneCuts ?? [], shownSeconds: shown.map((frame) => frame.pts), chunks, gopSeconds: profile.gopSeconds, minGapSeconds: profile.sceneCuts.minGapSeconds }),
    ...(video && args.quality ? { quality: planQualityMeasurement({ width: video.width, height: video.height, ...args.quality }) } : {}),
    // Audio alone has no rung to search.
    ...(video && args.qualityTarget ? { qualityTarget: args.qualityTarget } : {}),
  };

  return {
    source,
    plan,
    segments,
    stills: stillCuts,
    audioCuts: tracks.audio.map(({ streamIndex }, track) => ({ key: keys.sourceAudio(jobId, INTERMEDIATE_FORMAT.extension, track), streamIndex })),
    subtitleCuts: tracks.subtitles.map(({ streamIndex }, track) => ({ key: keys.sourceSubtitles(jobId, track), streamIndex, startSeconds: chunks[0]?.startSeconds ?? 0 })),
    fanOut: chunks.length > args.distributedMapThreshold ? 'distributed' : 'inline',
    chunkTasks: chunks.map((chunk) => ({ kind: 'chunk' as const, jobId, index: chunk.index })),
    audioTasks: tracks.audio.map((_, track) => ({ kind: 'audio' as const, jobId, track })),
    probeTasks: plan.qualityTarget ? chunks.map((chunk) => ({ kind: 'probe' as const, jobId, index: chunk.index })) : [],
    imageTasks,
  };
}

/** The storyboard's layout, and each tile's frame: the one shown at the middle of its time range. */
function planVideoStoryboard(args: { durationSeconds: number; width: number; height: number; shown: readonly VideoFrame[]; chunks: MediaPlan['chunks']; profile: MediaProfile['storyboard'] }): NonNullable<MediaPlan['storyboard']> {
  const layout = planStoryboard(args);
  const tiles = planStoryboardTiles({ cues: storyboardCues(layout), shownSeconds: args.shown.map((frame) => frame.pts), chunks: args.chunks });
  return { ...layout, tiles };
}

/** The source as a player shows it, measured from its packets. */
interface Timeline {
  /** The video's shown frames, in pts order; empty for audio alone. */
  shown: VideoFrame[];
  /** From the first shown frame (or the audio's first packet) to the end of the last frame or audio packet. */
  durationSeconds: number;
  /** Where the presentation ends on the source's clock: the last chunk ends there, and the stills fall before it. */
  endSeconds: number;
}

/**
 * A player starts at the first frame it shows and holds the last one until its own duration,
 * or the audio, runs out. The last frame lasts as long as its packet says (a screen recording's
 * may last seconds), else as long as the interval before it, else one frame at the stated rate.
 * The container's stated duration counts only for audio whose packets state no span.
 */
export function measureTimeline(args: { frames: readonly VideoFrame[]; audioSpan?: { startSeconds: number; endSeconds: number }; frameRate?: number; statedSeconds: number }): Timeline {
  const { frames, audioSpan, frameRate } = args;
  const isShown = shownFrames(frames);
  const shown = frames.filter((_, index) => isShown[index]);
  const first = shown[0];
  const last = shown.at(-1);
  if (frames.length > 0 && (first === undefined || last === undefined)) {
    throw new InputRejectedError('CORRUPT_INPUT', 'the video stream has no frame a player would show (every frame is hidden by an edit list or precedes the first keyframe)');
  }
  if (first === undefined || last === undefined) {
    if (audioSpan === undefined) return { shown, durationSeconds: args.statedSeconds, endSeconds: args.statedSeconds };
    const durationSeconds = audioSpan.endSeconds - audioSpan.startSeconds;
    if (!(durationSeconds > 0)) throw new InputRejectedError('CORRUPT_INPUT', 'the audio stream holds no sound');
    return { shown, durationSeconds, endSeconds: audioSpan.endSeconds };
  }
  const lastFrameSeconds = last.durationSeconds ?? (shown.length > 1 ? last.pts - shown.at(-2)!.pts : 1 / (frameRate || 30));
  const endSeconds = Math.max(last.pts + lastFrameSeconds, audioSpan?.endSeconds ?? -Infinity);
  return { shown, durationSeconds: endSeconds - first.pts, endSeconds };
}

/** The last keyframe at or before `seconds` (stills are on shown frames, which follow a keyframe). */
function keyframeAtOrBefore(keyframes: readonly number[], seconds: number): number {
  return keyframes.filter((pts) => pts <= seconds + 1e-9).at(-1) ?? seconds;
}
