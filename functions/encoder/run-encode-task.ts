/**
 * The encoder's core. A chunk task decodes its chunk once and writes every rung of the ladder
 * (with a quality target, each at its searched and smoothed CRF); a probe task searches one
 * chunk's CRFs with probe encodes (target-crfs.ts); an audio task encodes one audio track of the
 * whole file, once (per-chunk AAC would click at every seam, its priming samples drifting the sync). The task carries an index (the chunk's, or
 * the track's); the plan is in the work bucket.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaPlan, type EncodeResult, type EncodeTask } from '../../shared/contracts/work-plan.ts';
import { InternalError } from '../../shared/errors.ts';
import { keys } from '../../shared/keys.ts';
import { WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';
import { encodeAudio } from '../../shared/media/ffmpeg/encode-audio.ts';
import { CHUNK_CONTAINER, chunkKeyframeSeconds, encodeChunk } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';
import { chunkQualityReferences, reportChunkQuality } from './report-chunk-quality.ts';
import { chunkStoryboardFrames } from '../../shared/storyboard/plan-storyboard.ts';
import { rungsForChunk, searchChunkCrfs } from './target-crfs.ts';

export interface EncoderDependencies {
  store: ObjectStore;
  workBucket: string;
  tmpDir: string;
  /** 0: ffmpeg's own choice (every core). */
  ffmpegThreads?: number;
}

/** One try's work; the handler adds how many tries it took. */
export async function runEncodeTask(task: EncodeTask, deps: EncoderDependencies): Promise<Omit<EncodeResult, 'attempts'>> {
  const started = performance.now();
  const plan = MediaPlan.parse(await deps.store.getJson({ bucket: deps.workBucket, key: keys.plan(task.jobId) }));
  const workDir = await mkdtemp(join(deps.tmpDir, `${WORK_DIR_PREFIX.encoder}${task.kind}-`));
  try {
    if (task.kind === 'probe') await searchChunkCrfs(plan, task.index, workDir, deps);
    else if (task.kind === 'chunk') await encodeOneChunk(plan, task.index, workDir, deps);
    else await encodeTheAudio(plan, task.track ?? 0, workDir, deps);
    return { kind: task.kind, ...(task.kind === 'audio' ? { track: task.track ?? 0 } : { index: task.index }), durationMs: Math.round(performance.now() - started) };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function encodeOneChunk(plan: MediaPlan, index: number, workDir: string, { store, workBucket, ffmpegThreads }: EncoderDependencies): Promise<void> {
  const chunk = plan.chunks[index];
  if (!chunk) throw new InternalError('INTERNAL', `chunk ${index} is not in the plan of ${plan.jobId} (${plan.chunks.length} chunks)`);
  // The CRF each rung is encoded at (fixed, or the smoothed search in target mode); the chunk's report says it.
  const rungs = await rungsForChunk(plan, index, { store, workBucket });
  const segmentPath = join(workDir, `segment.${INTERMEDIATE_FORMAT.extension}`);
  await store.download({ bucket: workBucket, key: keys.segment(plan.jobId, index, INTERMEDIATE_FORMAT.extension) }, segmentPath);

  const outputs = Object.fromEntries(plan.rungs.map((rung) => [rung.name, join(workDir, `${rung.name}.${CHUNK_CONTAINER.extension}`)]));
  // The storyboard tiles that fall in this chunk come out of the same decode; most chunks have none or one.
  const storyboardFrames = plan.storyboard ? chunkStoryboardFrames(plan.storyboard.tiles, index) : [];
  const storyboard = plan.storyboard && storyboardFrames.length > 0
    ? { frames: storyboardFrames, tileWidth: plan.storyboard.tileWidth, tileHeight: plan.storyboard.tileHeight, outputPath: join(workDir, 'storyboard.png') }
    : undefined;
  // The frames the quality is measured against come out of the same decode: the segment is read once.
  const references = chunkQualityReferences({ plan, chunk, rungs, workDir });
  const encodeStarted = performance.now();
  const encoded = await encodeChunk({
    segmentPath,
    startSeconds: chunk.startSeconds,
    endSeconds: chunk.endSeconds,
    rotation: plan.rotation,
    deinterlace: plan.deinterlace,
    rungs,
    gopSeconds: plan.gopSeconds,
    keyframeSeconds: chunkKeyframeSeconds(plan.sceneCuts, chunk),
    preset: plan.preset,
    outputs,
    ...(storyboard ? { storyboard } : {}),
    ...(references ? { references } : {}),
    threads: ffmpegThreads ?? 0,
  });
  const encodeWallMs = Math.round(performance.now() - encodeStarted);
  // Nothing reads the segment again: its room in /tmp goes to the references.
  await rm(segmentPath, { force: true });
  // A frame lost or duplicated at a seam would show as a stutter and drift the audio: refuse it here.
  for (const { rung, frames } of encoded.rungs) {
    if (frames !== chunk.frames) throw new InternalError('ENCODER_FAILED', `chunk ${index} rung ${rung}: ${frames} frames encoded, ${chunk.frames} planned`);
  }
  await Promise.all([
    ...plan.rungs.map((rung) =>
      store.uploadFile({ bucket: workBucket, key: keys.encodedChunk(plan.jobId, rung.name, index, CHUNK_CONTAINER.extension) }, outputs[rung.name]!, CHUNK_CONTAINER.contentType),
    ),
    ...(storyboard ? [store.uploadFile({ bucket: workBucket, key: keys.storyboardTiles(plan.jobId, index) }, storyboard.outputPath, 'image/png')] : []),
    // Measured while the rungs upload: every rung against the frames it was encoded from.
    ...(references
      ? [reportChunkQuality({ plan, chunk, rungs, encoded, encodeWallMs, references, outputs, workDir, threads: ffmpegThreads ?? 0 })
          .then((report) => store.putJson({ bucket: workBucket, key: keys.chunkReport(plan.jobId, index) }, report))]
      : []),
  ]);
}

/** One audio track of the source, whole; every track on the same timeline, so each stays in sync with the video. */
async function encodeTheAudio(plan: MediaPlan, track: number, workDir: string, { store, workBucket }: EncoderDependencies): Promise<void> {
  if (!plan.audio) throw new InternalError('INTERNAL', `the plan of ${plan.jobId} has no audio`);
  if (track >= Math.max(1, plan.audioTracks.length)) throw new InternalError('INTERNAL', `audio track ${track} is not in the plan of ${plan.jobId} (${plan.audioTracks.length} tracks)`);
  const inputPath = join(workDir, `audio-source.${INTERMEDIATE_FORMAT.extension}`);
  const outputPath = join(workDir, 'audio.m4a');
  await store.download({ bucket: workBucket, key: keys.sourceAudio(plan.jobId, INTERMEDIATE_FORMAT.extension, track) }, inputPath);
  // With video, the audio is cut to the video's timeline (so the MP4's tracks end together);
  // alone, it keeps its own length.
  const firstChunk = plan.chunks[0];
  const timeline = firstChunk
    ? { startSeconds: firstChunk.startSeconds, durationSeconds: plan.chunks.reduce((sum, chunk) => sum + chunk.durationSeconds, 0) }
    : { durationSeconds: plan.durationSeconds };
  await encodeAudio({ inputPath, outputPath, bitrateKbps: plan.audio.bitrateKbps, channels: plan.audio.channels, sampleRate: plan.audio.sampleRate, ...timeline });
  await store.uploadFile({ bucket: workBucket, key: keys.encodedAudio(plan.jobId, track) }, outputPath, 'audio/mp4');
}
