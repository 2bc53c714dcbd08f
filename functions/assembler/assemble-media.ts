/**
 * The assembler's media half: each rung's chunks joined by stream copy into a progressive MP4
 * with the audio muxed in, the HLS package cut from those MP4s, or, for an audio-only upload,
 * the audio rendition. Rungs are assembled one after another so that /tmp holds one rung at a
 * time (the splitter refuses a source whose largest rung would not fit; see plan-ladder.ts).
 */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import pLimit from 'p-limit';
import type { MediaPlan, Rendition, VideoRendition } from '../../shared/contracts/job.ts';
import { keys } from '../../shared/keys.ts';
import { assembleRung } from '../../shared/media/ffmpeg/assemble-rung.ts';
import { CHUNK_CONTAINER } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { packageHlsVariant, type PackagedVariant, writeHlsMaster } from '../../shared/media/ffmpeg/package-hls.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';

export interface AssembleMediaDependencies {
  store: ObjectStore;
  workBucket: string;
  renditionsBucket: string;
  tmpDir: string;
}

/** Transfers in flight per rung: enough to keep the network busy, few enough that hours of segments never exhaust file handles. */
const TRANSFER_CONCURRENCY = 16;

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

    // One rung at a time, each leaving nothing on disk when done: the assembler's /tmp holds
    // about two copies of the largest rung, not three of the whole ladder.
    const hlsDir = join(workDir, 'hls');
    const assembled: Array<{ rendition: VideoRendition; hls: PackagedVariant }> = [];
    for (const rung of plan.rungs) assembled.push(await assembleOneRung(plan, rung, audioPath, { workDir, hlsDir }, deps));
    const masterPath = await writeHlsMaster(hlsDir, assembled.map(({ hls }) => hls));
    await uploadFile(masterPath, keys.hlsMaster(plan.jobId), deps);
    return [
      ...assembled.map(({ rendition }) => rendition),
      { kind: 'hls', key: keys.hlsMaster(plan.jobId), variants: assembled.length, segmentSeconds: plan.segmentSeconds },
    ];
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Chunks → MP4 (uploaded) → HLS variant (uploaded); the rung's files are deleted as soon as they are used. */
async function assembleOneRung(
  plan: MediaPlan,
  rung: MediaPlan['rungs'][number],
  audioPath: string | undefined,
  dirs: { workDir: string; hlsDir: string },
  deps: AssembleMediaDependencies,
): Promise<{ rendition: VideoRendition; hls: PackagedVariant }> {
  const chunkDir = join(dirs.workDir, 'chunks', rung.name);
  await mkdir(chunkDir, { recursive: true });
  const transfer = pLimit(TRANSFER_CONCURRENCY);
  const chunkPaths = await Promise.all(
    plan.chunks.map((chunk) => transfer(async () => {
      const path = join(chunkDir, `${chunk.index}.${CHUNK_CONTAINER.extension}`);
      await deps.store.download({ bucket: deps.workBucket, key: keys.encodedChunk(plan.jobId, rung.name, chunk.index, CHUNK_CONTAINER.extension) }, path);
      return path;
    })),
  );
  const mp4Path = join(dirs.workDir, `${rung.name}.mp4`);
  const assembled = await assembleRung({ chunkPaths, chunkDurationsSeconds: plan.chunks.map((chunk) => chunk.durationSeconds), audioPath, outputPath: mp4Path });
  await rm(chunkDir, { recursive: true, force: true });

  const key = keys.videoRendition(plan.jobId, rung.name);
  const [{ bytes }, hls] = await Promise.all([
    deps.store.uploadFile({ bucket: deps.renditionsBucket, key }, mp4Path, 'video/mp4'),
    packageHlsVariant({ variant: { name: rung.name, mp4Path, width: rung.width, height: rung.height, frameRate: assembled.frameRate, codecs: assembled.codecs }, segmentSeconds: plan.segmentSeconds, outputDir: dirs.hlsDir }),
  ]);
  await rm(mp4Path, { force: true });
  const variantDir = join(dirs.hlsDir, rung.name);
  await uploadFolder(variantDir, `${keys.hlsPrefix(plan.jobId)}${rung.name}/`, deps);
  await rm(variantDir, { recursive: true, force: true });

  return {
    hls,
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
  const transfer = pLimit(TRANSFER_CONCURRENCY);
  await Promise.all(
    entries.map((entry) => transfer(async () => {
      const path = join(folder, entry);
      if (!(await stat(path)).isFile()) return;
      await uploadFile(path, `${keyPrefix}${relative(folder, path).split('\\').join('/')}`, deps);
    })),
  );
}

function uploadFile(path: string, key: string, deps: AssembleMediaDependencies): Promise<unknown> {
  const extension = key.split('.').pop() ?? '';
  return deps.store.uploadFile({ bucket: deps.renditionsBucket, key }, path, contentTypeByExtension[extension] ?? 'application/octet-stream');
}
