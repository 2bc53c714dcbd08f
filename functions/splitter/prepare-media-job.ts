/**
 * The splitter's video and audio branch: probe under whitelists, plan chunks and ladder, cut
 * each chunk's segment by stream copy, take the audio and the stills out, and leave the full
 * plan in the work bucket. The execution itself carries only indices into it.
 */
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { SourceFacts } from '../../shared/contracts/manifest.ts';
import type { SplitResult, MediaPlan } from '../../shared/contracts/work-plan.ts';
import type { UploadRef } from '../../shared/contracts/upload-event.ts';
import { keys } from '../../shared/keys.ts';
import { cutSegment, extractAudio } from '../../shared/media/ffmpeg/cut-segment.ts';
import { extractFrames } from '../../shared/media/ffmpeg/extract-frames.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';
import { listVideoFrames, probeMedia, type MediaFacts } from '../../shared/media/ffmpeg/probe-media.ts';
import type { SniffedMedia } from '../../shared/media/sniff-media-type.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';
import { checkAssemblyFits } from './plan-assembly-storage.ts';
import { checkExecutionInputFits } from './plan-execution-size.ts';
import { planChunks } from './plan-chunks.ts';
import { planImageSizes } from './plan-image-sizes.ts';
import { planLadder } from './plan-ladder.ts';
import { planStills } from './plan-stills.ts';
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
}

const POSTER_WIDTHS = [640, 1280];
const THUMBNAIL_WIDTHS = [320];
const AUDIO = { codec: 'aac', bitrateKbps: 128, channels: 2, sampleRate: 48000 };
/** Stream copies are disk- and network-bound: a few at once keep both busy. */
const CUT_CONCURRENCY = 3;

type PreparedJob = Pick<SplitResult, 'source' | 'chunkTasks' | 'audioTasks' | 'imageTasks' | 'fanOut'>;

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
  const { jobId, upload, sniffed, localSource, settings, deadline } = args;
  const limits = { maxDurationSeconds: settings.media.maxDurationSeconds, maxWidth: settings.media.maxWidth, maxHeight: settings.media.maxHeight, maxStreams: settings.media.maxStreams };
  const facts = await probeMedia(localSource, { format: sniffed.format, limits });
  deadline?.throwIfAborted();
  const source: SourceFacts = {
    ...upload,
    mediaType: facts.video ? 'video' : 'audio',
    format: sniffed.format,
    durationSeconds: facts.durationSeconds,
    ...(facts.video
      ? { width: facts.video.width, height: facts.video.height, frameRate: facts.video.frameRate, frameCount: facts.video.frameCount, videoCodec: facts.video.codec }
      : {}),
    ...(facts.audio ? { audioCodec: facts.audio.codec } : {}),
  };

  const video = facts.video ? await prepareVideo({ ...args, facts }) : { plan: {}, imageTasks: [] };
  if (facts.audio) await uploadExtract(args, keys.sourceAudio(jobId, INTERMEDIATE_FORMAT.extension), (outputPath) => extractAudio({ sourcePath: localSource, format: sniffed.format, outputPath, signal: deadline }));

  const plan: MediaPlan = {
    jobId,
    rotation: facts.video?.rotation ?? 0,
    durationSeconds: facts.durationSeconds,
    ...(facts.video ? { frameRate: facts.video.frameRate, frameCount: facts.video.frameCount } : {}),
    gopSeconds: settings.media.gopSeconds,
    segmentSeconds: settings.media.segmentSeconds,
    preset: settings.media.preset,
    deinterlace: facts.video?.interlaced ?? false,
    rungs: [],
    chunks: [],
    ...video.plan,
    ...(facts.audio ? { audio: AUDIO } : {}),
  };
  await args.store.putJson({ bucket: settings.workBucket, key: keys.plan(jobId) }, plan);

  return {
    source,
    fanOut: plan.chunks.length > settings.media.distributedMapThreshold ? 'distributed' : 'inline',
    chunkTasks: plan.chunks.map((chunk) => ({ kind: 'chunk' as const, jobId, index: chunk.index })),
    audioTasks: facts.audio ? [{ kind: 'audio' as const, jobId }] : [],
    imageTasks: video.imageTasks,
  };
}

async function prepareVideo(args: Parameters<typeof prepareMediaJob>[0] & { facts: MediaFacts }): Promise<{ plan: Pick<MediaPlan, 'rungs' | 'chunks'>; imageTasks: SplitResult['imageTasks'] }> {
  const { jobId, sniffed, localSource, workDir, settings, facts, deadline } = args;
  const video = facts.video!;
  const rungs = planLadder({ width: video.width, height: video.height });
  checkAssemblyFits({ rungs, audioKbps: facts.audio ? AUDIO.bitrateKbps : 0, chunkSeconds: settings.media.chunkSeconds, storageBytes: settings.media.assemblerStorageBytes, durationSeconds: facts.durationSeconds });
  checkExecutionInputFits({ jobId, durationSeconds: facts.durationSeconds, chunkSeconds: settings.media.chunkSeconds });
  const frames = await listVideoFrames(localSource, { format: sniffed.format });
  deadline?.throwIfAborted();
  const last = frames.at(-1)!;
  const lastFrameDuration = frames.length > 1 ? last.pts - frames.at(-2)!.pts : 1 / (video.frameRate || 30);
  const chunks = planChunks({ frames, chunkSeconds: settings.media.chunkSeconds, endSeconds: last.pts + lastFrameDuration });

  const cut = pLimit(CUT_CONCURRENCY);
  await Promise.all(
    chunks.map((chunk) =>
      cut(() =>
        uploadExtract(args, keys.segment(jobId, chunk.index, INTERMEDIATE_FORMAT.extension), (outputPath) =>
          cutSegment({ sourcePath: localSource, format: sniffed.format, fromSeconds: chunk.cutFromSeconds, toSeconds: chunk.endSeconds, outputPath, signal: deadline }),
        ),
      ),
    ),
  );

  const stills = planStills({ startSeconds: frames[0]!.pts, durationSeconds: last.pts + lastFrameDuration - frames[0]!.pts, thumbnails: settings.media.thumbnails });
  const stillTimes = [stills.posterSeconds, ...stills.thumbnailSeconds];
  const stillPaths = await extractFrames({ sourcePath: localSource, format: sniffed.format, timesSeconds: stillTimes, rotation: video.rotation, deinterlace: video.interlaced, outputDir: join(workDir, 'stills'), signal: deadline });
  const stillNames = ['poster', ...stills.thumbnailSeconds.map((_, index) => `thumbnail-${index + 1}`)];
  await Promise.all(stillPaths.map((path, index) => args.store.uploadFile({ bucket: settings.workBucket, key: keys.still(jobId, stillNames[index]!) }, path, 'image/png')));

  const still = (name: string) => ({ bucket: settings.workBucket, key: keys.still(jobId, name) });
  const imageTasks: SplitResult['imageTasks'] = [
    ...planImageSizes({ sourceWidth: video.width, widths: POSTER_WIDTHS }).map((width) => ({ jobId, source: still('poster'), role: 'poster' as const, width, formats: [...settings.imageFormats] })),
    ...stills.thumbnailSeconds.flatMap((_, index) =>
      planImageSizes({ sourceWidth: video.width, widths: THUMBNAIL_WIDTHS }).map((width) => ({
        jobId,
        source: still(`thumbnail-${index + 1}`),
        role: 'thumbnail' as const,
        ordinal: index + 1,
        width,
        formats: ['webp' as const, 'jpeg' as const],
      })),
    ),
  ];
  return { plan: { rungs, chunks }, imageTasks };
}

/** Writes a file with `produce` into the job's work dir, then uploads it to the work bucket. */
async function uploadExtract(args: { workDir: string; settings: SplitSettings; store: ObjectStore }, key: string, produce: (outputPath: string) => Promise<unknown>): Promise<void> {
  const outputPath = join(args.workDir, key.replaceAll('/', '_'));
  await produce(outputPath);
  await args.store.uploadFile({ bucket: args.settings.workBucket, key }, outputPath, 'application/octet-stream');
}
