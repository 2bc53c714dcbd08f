/**
 * The assembler's media half: each rung's chunks joined by stream copy into a progressive MP4
 * with the audio muxed in, the HLS package cut from those MP4s, or, for an audio-only upload,
 * the audio rendition. Rungs are assembled side by side: nothing here waits on another rung.
 */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { MediaPlan, Rendition, VideoRendition } from '../../shared/contracts/job.ts';
import { keys } from '../../shared/keys.ts';
import { assembleRung } from '../../shared/media/ffmpeg/assemble-rung.ts';
import { CHUNK_CONTAINER } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { packageHls } from '../../shared/media/ffmpeg/package-hls.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';

export interface AssembleMediaDependencies {
  store: ObjectStore;
  workBucket: string;
  renditionsBucket: string;
  tmpDir: string;
}

const contentTypeByExtension: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  ts: 'video/mp2t',
};

export async function assembleMedia(plan: MediaPlan, deps: AssembleMediaDependencies): Promise<Rendition[]> {
  const workDir = await mkdtemp(join(deps.tmpDir, 'assemble-'));
  try {
    const audioPath = plan.audio ? join(workDir, 'audio.m4a') : undefined;
    if (audioPath) await deps.store.download({ bucket: deps.workBucket, key: keys.encodedAudio(plan.jobId) }, audioPath);
    if (plan.rungs.length === 0) return audioPath ? [await audioRendition(plan, audioPath, deps)] : [];

    const videos = await Promise.all(plan.rungs.map((rung) => assembleOneRung(plan, rung.name, audioPath, workDir, deps)));
    const hlsDir = join(workDir, 'hls');
    await packageHls({
      variants: videos.map(({ rendition, path }) => ({ name: rendition.rung, mp4Path: path, width: rendition.width, height: rendition.height })),
      segmentSeconds: plan.segmentSeconds,
      outputDir: hlsDir,
    });
    await uploadFolder(hlsDir, keys.hlsPrefix(plan.jobId), deps);
    return [
      ...videos.map(({ rendition }) => rendition),
      { kind: 'hls', key: keys.hlsMaster(plan.jobId), variants: videos.length, segmentSeconds: plan.segmentSeconds },
    ];
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function assembleOneRung(plan: MediaPlan, rungName: string, audioPath: string | undefined, workDir: string, deps: AssembleMediaDependencies): Promise<{ rendition: VideoRendition; path: string }> {
  const rung = plan.rungs.find((candidate) => candidate.name === rungName)!;
  const chunkDir = join(workDir, 'chunks', rung.name);
  await mkdir(chunkDir, { recursive: true });
  const chunkPaths = await Promise.all(
    plan.chunks.map(async (chunk) => {
      const path = join(chunkDir, `${chunk.index}.${CHUNK_CONTAINER.extension}`);
      await deps.store.download({ bucket: deps.workBucket, key: keys.encodedChunk(plan.jobId, rung.name, chunk.index, CHUNK_CONTAINER.extension) }, path);
      return path;
    }),
  );
  const outputPath = join(workDir, `${rung.name}.mp4`);
  const assembled = await assembleRung({ chunkPaths, chunkDurationsSeconds: plan.chunks.map((chunk) => chunk.durationSeconds), audioPath, outputPath });
  const key = keys.videoRendition(plan.jobId, rung.name);
  const { bytes } = await deps.store.uploadFile({ bucket: deps.renditionsBucket, key }, outputPath, 'video/mp4');
  return {
    path: outputPath,
    rendition: {
      kind: 'video',
      rung: rung.name,
      key,
      codecs: assembled.codecs,
      width: rung.width,
      height: rung.height,
      bitrateKbps: assembled.bitrateKbps,
      durationSeconds: assembled.durationSeconds,
      frames: assembled.frames,
      bytes,
    },
  };
}

async function audioRendition(plan: MediaPlan, audioPath: string, deps: AssembleMediaDependencies): Promise<Rendition> {
  const key = keys.audioRendition(plan.jobId);
  const { bytes } = await deps.store.uploadFile({ bucket: deps.renditionsBucket, key }, audioPath, 'audio/mp4');
  return {
    kind: 'audio',
    key,
    codecs: 'mp4a.40.2',
    bitrateKbps: plan.durationSeconds > 0 ? Math.round((bytes * 8) / plan.durationSeconds / 1000) : 0,
    durationSeconds: plan.durationSeconds,
    bytes,
  };
}

async function uploadFolder(folder: string, keyPrefix: string, deps: AssembleMediaDependencies): Promise<void> {
  const entries = await readdir(folder, { recursive: true });
  await Promise.all(
    entries.map(async (entry) => {
      const path = join(folder, entry);
      if (!(await stat(path)).isFile()) return;
      const relativeKey = relative(folder, path).split('\\').join('/');
      const extension = relativeKey.split('.').pop() ?? '';
      await deps.store.uploadFile({ bucket: deps.renditionsBucket, key: `${keyPrefix}${relativeKey}` }, path, contentTypeByExtension[extension] ?? 'application/octet-stream');
    }),
  );
}
