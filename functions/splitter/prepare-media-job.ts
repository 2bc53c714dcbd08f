/**
 * The splitter's video and audio branch, as I/O around a pure planner (plan-media-job.ts):
 * probe under whitelists, list the packets (the video's frames, the audio's span), find the shot
 * changes (one downscaled decode of the video), plan, then do what the plan says (cut each
 * chunk's segment by stream copy, take each audio track, each subtitle track and the stills
 * out, upload them) and leave the full plan in the work bucket.
 * The execution itself carries only indices into it.
 */
import type { QualityTarget } from '../../shared/contracts/quality.ts';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { SplitResult } from '../../shared/contracts/work-plan.ts';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { keys } from '../../shared/keys.ts';
import { cutSegment, extractAudio } from '../../shared/media/ffmpeg/cut-segment.ts';
import { detectSceneCuts } from '../../shared/media/ffmpeg/detect-scene-cuts.ts';
import { extractFrames } from '../../shared/media/ffmpeg/extract-frames.ts';
import { extractSubtitles } from '../../shared/media/ffmpeg/extract-subtitles.ts';
import { listPackets } from '../../shared/media/ffmpeg/list-video-frames.ts';
import { probeMedia } from '../../shared/media/ffmpeg/probe-media.ts';
import { detectQualityMetric, requireTargetMetric } from '../../shared/media/ffmpeg/detect-quality-metric.ts';
import type { SniffedMedia } from '../../shared/media/sniff-media-type.ts';
import { JobX264Preset, RENDITION_PROFILE } from '../../shared/rendition-profile.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';
import { planMediaJob, type MediaProfile } from './plan-media-job.ts';
import type { SplitSettings } from './split-upload.ts';

export interface MediaSettings {
  maxDurationSeconds: number;
  maxWidth: number;
  maxHeight: number;
  maxStreams: number;
  chunkSeconds: number;
  segmentSeconds: number;
  gopSeconds: number;
  preset: string;
  distributedMapThreshold: number;
  thumbnails: number;
  /** The assembler's /tmp: a source whose ladder would not fit there is refused up front. */
  assemblerStorageBytes: number;
  /** Measure every n-th frame of each rung (1, every frame, when unset). */
  qualitySampleEvery?: number;
  /** QUALITY_TARGET: encode each chunk of each rung to it (probe tasks first). */
  qualityTarget?: QualityTarget;
}

/** Stream copies are disk- and network-bound: a few at once keep both busy. */
const CUT_CONCURRENCY = 3;

type PreparedJob = Pick<SplitResult, 'source' | 'chunkTasks' | 'audioTasks' | 'probeTasks' | 'imageTasks' | 'fanOut'>;

export async function prepareMediaJob(args: {
  jobId: string;
  upload: UploadRef;
  sniffed: Exclude<SniffedMedia, { mediaType: 'image' }>;
  localSource: string;
  workDir: string;
  settings: SplitSettings;
  store: ObjectStore;
  /** Kills the running ffmpeg and stops between steps when the invocation runs out of time. */
  deadline?: AbortSignal;
}): Promise<PreparedJob> {
  const { jobId, upload, sniffed, localSource, workDir, settings, store, deadline } = args;
  const { media } = settings;
  const format = sniffed.format;
  const limits = { maxDurationSeconds: media.maxDurationSeconds, maxWidth: media.maxWidth, maxHeight: media.maxHeight, maxStreams: media.maxStreams };
  // No frame count here: the listing below counts them, in the one pass over the whole file.
  const facts = await probeMedia(localSource, { format, limits, countFrames: false });
  deadline?.throwIfAborted();
  // What this ffmpeg can measure with (the encoders run the same build); a video's target it cannot judge fails the job before the work.
  const capability = await detectQualityMetric();
  if (media.qualityTarget && facts.video) requireTargetMetric(media.qualityTarget, capability);
  // Every packet, also for audio alone: the duration planned is what the packets span.
  const packets = await listPackets(localSource, { format });
  deadline?.throwIfAborted();
  const profile = mediaProfile(media);
  // One more decode, of small frames: where the shots change. A still (one frame) has none.
  const detectedSceneCuts = facts.video && packets.video.length > 1
    ? await detectSceneCuts({ sourcePath: localSource, format, threshold: profile.sceneCuts.threshold, detectWidth: profile.sceneCuts.detectWidth, maxSeconds: media.maxDurationSeconds, workDir, signal: deadline })
    : [];
  deadline?.throwIfAborted();

  const planned = planMediaJob({
    jobId,
    upload,
    format,
    facts,
    frames: packets.video,
    detectedSceneCuts,
    ...(packets.audio && { audioSpan: packets.audio }),
    maxDurationSeconds: media.maxDurationSeconds,
    profile,
    workBucket: settings.workBucket,
    distributedMapThreshold: media.distributedMapThreshold,
    assemblerStorageBytes: media.assemblerStorageBytes,
    quality: { metric: capability.metric, sampleEvery: media.qualitySampleEvery ?? 1 },
    ...(media.qualityTarget ? { qualityTarget: media.qualityTarget } : {}),
  });

  const put = (key: string, path: string, contentType = 'application/octet-stream') => store.uploadFile({ bucket: settings.workBucket, key }, path, contentType);
  const localPath = (key: string) => join(workDir, key.replaceAll('/', '_'));
  const cut = pLimit(CUT_CONCURRENCY);
  await Promise.all(
    planned.segments.map((segment) =>
      cut(async () => {
        const outputPath = localPath(segment.key);
        await cutSegment({ sourcePath: localSource, format, fromSeconds: segment.fromSeconds, toSeconds: segment.toSeconds, outputPath, signal: deadline });
        await put(segment.key, outputPath);
      }),
    ),
  );

  if (planned.stills.length > 0) {
    const { rotation, deinterlace } = planned.plan;
    const timesSeconds = planned.stills.map((still) => still.seconds);
    const fromKeyframeSeconds = planned.stills.map((still) => still.fromKeyframeSeconds);
    const paths = await extractFrames({ sourcePath: localSource, format, timesSeconds, fromKeyframeSeconds, rotation, deinterlace, outputDir: join(workDir, 'stills'), signal: deadline });
    await Promise.all(paths.map((path, index) => put(planned.stills[index]!.key, path, 'image/png')));
  }

  for (const track of planned.audioCuts) {
    const outputPath = localPath(track.key);
    await extractAudio({ sourcePath: localSource, format, outputPath, streamIndex: track.streamIndex, signal: deadline });
    await put(track.key, outputPath);
  }
  for (const track of planned.subtitleCuts) {
    const outputPath = localPath(track.key);
    await extractSubtitles({ sourcePath: localSource, format, outputPath, streamIndex: track.streamIndex, startSeconds: track.startSeconds, signal: deadline });
    await put(track.key, outputPath, 'text/vtt');
  }

  await store.putJson({ bucket: settings.workBucket, key: keys.plan(jobId) }, planned.plan);
  const { source, fanOut, chunkTasks, audioTasks, probeTasks, imageTasks } = planned;
  return { source, fanOut, chunkTasks, audioTasks, probeTasks, imageTasks };
}

/** The rendition profile with what the environment overrides (shared/config.ts). */
function mediaProfile(media: MediaSettings): MediaProfile {
  return {
    ...RENDITION_PROFILE,
    chunkSeconds: media.chunkSeconds,
    segmentSeconds: media.segmentSeconds,
    gopSeconds: media.gopSeconds,
    x264Preset: JobX264Preset.parse(media.preset),
    thumbnails: { ...RENDITION_PROFILE.thumbnails, count: media.thumbnails },
  };
}
