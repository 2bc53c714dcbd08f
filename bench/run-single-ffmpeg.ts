/**
 * B: the obvious alternative, built from the pipeline's own ffmpeg module so the encoder
 * settings are the same by construction: the whole source cut as one segment (stream copy),
 * encodeChunk over all of it (one ffmpeg decodes once, splits to every rung), the audio encoded
 * once beside it, then one assembleRung per rung (one chunk + audio, stream copy).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rung } from '../shared/contracts/work-plan.ts';
import { assembleRung } from '../shared/media/ffmpeg/assemble-rung.ts';
import { cutSegment, extractAudio } from '../shared/media/ffmpeg/cut-segment.ts';
import { encodeAudio } from '../shared/media/ffmpeg/encode-audio.ts';
import { CHUNK_CONTAINER, encodeChunk } from '../shared/media/ffmpeg/encode-chunk.ts';
import { INTERMEDIATE_FORMAT } from '../shared/media/ffmpeg/intermediate-format.ts';
import { listVideoFrames } from '../shared/media/ffmpeg/list-video-frames.ts';
import type { MediaFacts } from '../shared/media/ffmpeg/media-facts.ts';
import { probeMedia } from '../shared/media/ffmpeg/probe-media.ts';
import { planLadder } from '../functions/splitter/plan-ladder.ts';

export interface EncodeSettings {
  gopSeconds: number;
  preset: string;
  audio: { bitrateKbps: number; channels: number; sampleRate: number };
}

export interface SingleFfmpegPlan {
  sourcePath: string;
  facts: MediaFacts;
  rungs: Rung[];
  firstFrameSeconds: number;
  endSeconds: number;
}

/** Probing and listing frames: outside B's timed window (a plain ffmpeg command needs neither). */
export async function planSingleFfmpeg(sourcePath: string): Promise<SingleFfmpegPlan> {
  const facts = await probeMedia(sourcePath, { format: 'mp4', limits: { maxDurationSeconds: 4 * 3600, maxWidth: 7680, maxHeight: 4320, maxStreams: 8 } });
  if (!facts.video) throw new Error(`${sourcePath} has no video`);
  const frames = await listVideoFrames(sourcePath, { format: 'mp4' });
  const last = frames.at(-1)!;
  const lastFrameSeconds = frames.length > 1 ? last.pts - frames.at(-2)!.pts : 1 / facts.video.frameRate;
  return { sourcePath, facts, rungs: planLadder({ width: facts.video.width, height: facts.video.height }), firstFrameSeconds: frames[0]!.pts, endSeconds: last.pts + lastFrameSeconds };
}

export interface SingleFfmpegResult {
  workDir: string;
  /** Per rung name: the assembled MP4. */
  outputs: Record<string, { path: string; bytes: number; frames: number; width: number; height: number }>;
}

export async function runSingleFfmpeg(plan: SingleFfmpegPlan, settings: EncodeSettings): Promise<SingleFfmpegResult> {
  const { sourcePath, facts, rungs, firstFrameSeconds, endSeconds } = plan;
  const workDir = await mkdtemp(join(tmpdir(), 'fanout-bench-b-'));
  const segmentPath = join(workDir, `segment.${INTERMEDIATE_FORMAT.extension}`);
  const chunkPaths = Object.fromEntries(rungs.map((rung) => [rung.name, join(workDir, `chunk-${rung.name}.${CHUNK_CONTAINER.extension}`)]));
  const audioPath = facts.audio ? join(workDir, 'audio.m4a') : undefined;

  const encodeVideo = async () => {
    await cutSegment({ sourcePath, format: 'mp4', fromSeconds: firstFrameSeconds, outputPath: segmentPath });
    await encodeChunk({ segmentPath, startSeconds: firstFrameSeconds, rotation: facts.video!.rotation, rungs, gopSeconds: settings.gopSeconds, preset: settings.preset, outputs: chunkPaths });
  };
  const encodeTheAudio = async () => {
    if (!audioPath) return;
    const extracted = join(workDir, `audio-source.${INTERMEDIATE_FORMAT.extension}`);
    await extractAudio({ sourcePath, format: 'mp4', outputPath: extracted });
    await encodeAudio({ inputPath: extracted, outputPath: audioPath, ...settings.audio, startSeconds: firstFrameSeconds, durationSeconds: endSeconds - firstFrameSeconds });
  };
  // One ffmpeg command would encode the audio on its own thread beside the video.
  await Promise.all([encodeVideo(), encodeTheAudio()]);

  const outputs: SingleFfmpegResult['outputs'] = {};
  await Promise.all(
    rungs.map(async (rung) => {
      const path = join(workDir, `${rung.name}.mp4`);
      const assembled = await assembleRung({ chunkPaths: [chunkPaths[rung.name]!], chunkDurationsSeconds: [endSeconds - firstFrameSeconds], audioPath, outputPath: path });
      outputs[rung.name] = { path, bytes: assembled.bytes, frames: assembled.frames, width: rung.width, height: rung.height };
    }),
  );
  return { workDir, outputs };
}
