/**
 * The assembler's media half: each rung's chunks joined by stream copy into a progressive MP4
 * with the default audio track muxed in, the HLS package cut from those MP4s (every audio
 * track an audio rendition, every subtitle track a WebVTT one), or, for an audio-only upload,
 * the audio rendition. Rungs are assembled one after another so that /tmp holds one rung at a
 * time (the splitter refuses a source whose largest rung would not fit; see plan-ladder.ts).
 */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import pLimit from 'p-limit';
import type { Rendition, VideoRendition } from '../../shared/contracts/manifest.ts';
import type { LadderReport } from '../../shared/contracts/quality.ts';
import type { MediaPlan } from '../../shared/contracts/work-plan.ts';
import { ChunkReport } from '../../shared/contracts/quality.ts';
import { TransientError } from '../../shared/errors.ts';
import { keys } from '../../shared/keys.ts';
import { WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';
import { type AssembledRung, assembleRung } from '../../shared/media/ffmpeg/assemble-rung.ts';
import { CHUNK_CONTAINER } from '../../shared/media/ffmpeg/encode-chunk.ts';
import type { MasterPlaylistAudio, MasterPlaylistSubtitles } from '../../shared/media/ffmpeg/format-master-playlist.ts';
import { HLS_AUDIO_NAME, hlsTimelineOffset, packageHlsAudio, packageHlsVariant, type PackagedVariant, writeHlsMaster } from '../../shared/media/ffmpeg/package-hls.ts';
import { HLS_SUBTITLES_NAME, packageHlsSubtitles } from '../../shared/media/webvtt/package-hls-subtitles.ts';
import type { ObjectStore } from '../../shared/storage/object-store.ts';
import { aggregateRungQuality } from './aggregate-rung-quality.ts';
import { assembleStoryboard } from './assemble-storyboard.ts';
import { pruneRenditions } from './prune-renditions.ts';

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

export interface MediaAssembly {
  renditions: Rendition[];
  /** A video's ladder report; set in target mode once the ladder was pruned. */
  ladder?: LadderReport;
}

export async function assembleMedia(plan: MediaPlan, deps: AssembleMediaDependencies): Promise<MediaAssembly> {
  const workDir = await mkdtemp(join(deps.tmpDir, WORK_DIR_PREFIX.assembler));
  try {
    const tracks = await downloadAudioTracks(plan, workDir, deps);
    // The MP4s (and an audio-only upload's one rendition) carry the default track alone.
    const audioPath = tracks.find(({ track }) => track.default)?.path ?? tracks[0]?.path;
    if (plan.rungs.length === 0) return { renditions: audioPath ? [await audioRendition(plan, audioPath, deps)] : [] };
    const reports = plan.quality ? await readChunkReports(plan, deps) : undefined;

    // One rung at a time, each leaving nothing on disk when done: the assembler's /tmp holds
    // about two copies of the largest rung, not three of the ladder. The first joined MP4 fixes
    // the HLS timeline, and the audio and subtitle renditions are packaged then, once each.
    const hlsDir = join(workDir, 'hls');
    let timeline: { offsetSeconds: number; audio: PublishedAudio[]; subtitles: PublishedSubtitles[] } | undefined;
    const assembled: Array<{ rendition: VideoRendition; hls: PackagedVariant }> = [];
    for (const rung of plan.rungs) {
      const joined = await joinRung(plan, rung, audioPath, workDir, deps);
      if (!timeline) {
        // Every track was encoded on the same timeline; the largest lead of any of them sets the shift.
        const offsetSeconds = await hlsTimelineOffset([joined.mp4Path, ...tracks.map(({ path }) => path)]);
        const hls = { hlsDir, offsetSeconds };
        const audio: PublishedAudio[] = [];
        for (const track of tracks) audio.push(await publishHlsAudio(plan, track, hls, deps));
        timeline = { offsetSeconds, audio, subtitles: await publishSubtitles(plan, workDir, hls, deps) };
      }
      const published = await publishRung(plan, rung, joined, { hlsDir, offsetSeconds: timeline.offsetSeconds }, deps);
      const measured = plan.quality && reports ? aggregateRungQuality({ rung: rung.name, reports, measurement: plan.quality }) : undefined;
      assembled.push(measured ? { ...published, rendition: { ...published.rendition, ...measured } } : published);
    }
    // Target mode: rungs that add no viewed quality for their bits leave the ladder (published
    // first: /tmp holds one rung at a time, and the hull needs every rung's bitrate and quality).
    const { kept, dropped, prunedBy } = pruneRenditions({ ladder: assembled.map(({ rendition, hls }) => ({ rendition, videoBitrateKbps: hls.averageBandwidth / 1000 })), target: plan.qualityTarget });
    await withdrawRungs(plan, dropped.map(({ rung }) => rung), deps);
    const ladder = assembled.filter(({ rendition }) => kept.includes(rendition));
    const storyboard = await assembleStoryboard(plan, workDir, deps);
    const masterPath = await writeHlsMaster(hlsDir, ladder.map(({ hls }) => hls), timeline?.audio.map(({ hls }) => hls), timeline?.subtitles.map(({ hls }) => hls));
    await uploadFile(masterPath, keys.hlsMaster(plan.jobId), deps);
    const renditions: Rendition[] = [
      ...ladder.map(({ rendition }) => rendition),
      ...(timeline?.audio ?? []).map(({ rendition }) => rendition),
      ...(timeline?.subtitles ?? []).map(({ rendition }) => rendition),
      { kind: 'hls', key: keys.hlsMaster(plan.jobId), variants: ladder.length, segmentSeconds: plan.segmentSeconds },
      ...(storyboard ? [storyboard] : []),
    ];
    // measuredWith: the metric, until measure-quality.ts names the ffmpeg build too.
    return plan.qualityTarget && prunedBy ? { renditions, ladder: { mode: 'target', target: plan.qualityTarget, measuredWith: prunedBy, dropped } } : { renditions };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Every chunk's report, in chunk order. The encoder writes one before its task succeeds, so a
 * missing one is ours (a lost write, a stale read): a retry of the assembler may find it, and a
 * rendition without its quality is never published in its place.
 */
async function readChunkReports(plan: MediaPlan, deps: AssembleMediaDependencies): Promise<ChunkReport[]> {
  const transfer = pLimit(TRANSFER_CONCURRENCY);
  return settleAll(
    plan.chunks.map((chunk) => transfer(async () => {
      const report = await deps.store.getJson({ bucket: deps.workBucket, key: keys.chunkReport(plan.jobId, chunk.index) });
      if (report === undefined) throw new TransientError('INTERNAL', `chunk ${chunk.index} of ${plan.jobId} has no quality report (${keys.chunkReport(plan.jobId, chunk.index)})`);
      return ChunkReport.parse(report);
    })),
  );
}

/** A dropped rung's MP4 and HLS variant, taken back out of the renditions bucket. */
async function withdrawRungs(plan: MediaPlan, rungs: readonly string[], deps: AssembleMediaDependencies): Promise<void> {
  for (const rung of rungs) {
    await deps.store.deletePrefix(deps.renditionsBucket, keys.videoRendition(plan.jobId, rung));
    await deps.store.deletePrefix(deps.renditionsBucket, `${keys.hlsPrefix(plan.jobId)}${rung}/`);
  }
}

type AudioTrack = MediaPlan['audioTracks'][number];
type DownloadedTrack = { track: AudioTrack; path: string };
type PublishedAudio = { hls: MasterPlaylistAudio; rendition: Rendition };
type PublishedSubtitles = { hls: MasterPlaylistSubtitles; rendition: Rendition };

/** A plan written before audio tracks were listed carries its one track unnamed. */
const UNLABELLED_TRACK: AudioTrack = { label: 'und', language: 'und', name: 'Unknown language', default: true };

/** Each encoded audio track of the plan, downloaded. */
async function downloadAudioTracks(plan: MediaPlan, workDir: string, deps: AssembleMediaDependencies): Promise<DownloadedTrack[]> {
  if (!plan.audio) return [];
  const tracks = plan.audioTracks.length > 0 ? plan.audioTracks : [UNLABELLED_TRACK];
  return settleAll(
    tracks.map(async (track, index) => {
      const path = join(workDir, `audio-${index}.m4a`);
      await deps.store.download({ bucket: deps.workBucket, key: keys.encodedAudio(plan.jobId, index) }, path);
      return { track, path };
    }),
  );
}

type Rung = MediaPlan['rungs'][number];
type JoinedRung = { mp4Path: string; assembled: AssembledRung };

/** The rung's chunks, downloaded and joined with the audio into its MP4; the chunks are deleted. */
async function joinRung(plan: MediaPlan, rung: Rung, audioPath: string | undefined, workDir: string, deps: AssembleMediaDependencies): Promise<JoinedRung> {
  const chunkDir = join(workDir, 'chunks', rung.name);
  await mkdir(chunkDir, { recursive: true });
  const transfer = pLimit(TRANSFER_CONCURRENCY);
  const chunkPaths = await settleAll(
    plan.chunks.map((chunk) => transfer(async () => {
      const path = join(chunkDir, `${chunk.index}.${CHUNK_CONTAINER.extension}`);
      await deps.store.download({ bucket: deps.workBucket, key: keys.encodedChunk(plan.jobId, rung.name, chunk.index, CHUNK_CONTAINER.extension) }, path);
      return path;
    })),
  );
  const mp4Path = join(workDir, `${rung.name}.mp4`);
  const assembled = await assembleRung({ chunkPaths, chunkDurationsSeconds: plan.chunks.map((chunk) => chunk.durationSeconds), audioPath, outputPath: mp4Path });
  await rm(chunkDir, { recursive: true, force: true });
  return { mp4Path, assembled };
}

/** The rung's MP4 uploaded, its HLS variant packaged and uploaded; both deleted from disk. */
async function publishRung(plan: MediaPlan, rung: Rung, { mp4Path, assembled }: JoinedRung, hls: { hlsDir: string; offsetSeconds: number }, deps: AssembleMediaDependencies): Promise<{ rendition: VideoRendition; hls: PackagedVariant }> {
  const key = keys.videoRendition(plan.jobId, rung.name);
  const [{ bytes }, variant] = await settleAll([
    deps.store.uploadFile({ bucket: deps.renditionsBucket, key }, mp4Path, 'video/mp4'),
    packageHlsVariant({
      variant: { name: rung.name, mp4Path, width: rung.width, height: rung.height, frameRate: assembled.frameRate, videoCodecs: assembled.videoCodecs },
      segmentSeconds: plan.segmentSeconds,
      outputDir: hls.hlsDir,
      timelineOffsetSeconds: hls.offsetSeconds,
    }),
  ]);
  await rm(mp4Path, { force: true });
  await uploadHlsFolder(plan, rung.name, hls.hlsDir, deps);

  return {
    hls: variant,
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

/** One audio track as an HLS audio rendition, in hls/audio/<label>/, and its line in the manifest. */
async function publishHlsAudio(plan: MediaPlan, { track, path }: DownloadedTrack, hls: { hlsDir: string; offsetSeconds: number }, deps: AssembleMediaDependencies): Promise<PublishedAudio> {
  const name = `${HLS_AUDIO_NAME}/${track.label}`;
  const packaged = await packageHlsAudio({ audio: { path, channels: plan.audio!.channels, name }, segmentSeconds: plan.segmentSeconds, outputDir: hls.hlsDir, timelineOffsetSeconds: hls.offsetSeconds });
  const bytes = await uploadHlsFolder(plan, name, hls.hlsDir, deps);
  const labels = { language: track.language, name: track.name, default: track.default };
  return {
    hls: { ...packaged, ...labels },
    rendition: {
      kind: 'audio',
      key: `${keys.hlsPrefix(plan.jobId)}${packaged.uri}`,
      codecs: packaged.codecs,
      bitrateKbps: Math.round(packaged.averageBandwidth / 1000),
      durationSeconds: videoSeconds(plan),
      bytes,
      ...labels,
    },
  };
}

/**
 * Each subtitle track: the WebVTT the splitter made (already on the MP4s' timeline) published as
 * subtitles/<label>.vtt, and packaged as an HLS subtitle rendition in hls/subtitles/<label>/.
 */
async function publishSubtitles(plan: MediaPlan, workDir: string, hls: { hlsDir: string; offsetSeconds: number }, deps: AssembleMediaDependencies): Promise<PublishedSubtitles[]> {
  const published: PublishedSubtitles[] = [];
  for (const [index, track] of plan.subtitles.entries()) {
    const vttPath = join(workDir, `subtitles-${index}.vtt`);
    await deps.store.download({ bucket: deps.workBucket, key: keys.sourceSubtitles(plan.jobId, index) }, vttPath);
    const key = keys.subtitlesRendition(plan.jobId, track.label);
    const name = `${HLS_SUBTITLES_NAME}/${track.label}`;
    const [{ bytes }, { uri }] = await settleAll([
      deps.store.uploadFile({ bucket: deps.renditionsBucket, key }, vttPath, 'text/vtt'),
      packageHlsSubtitles({ vttPath, outputDir: hls.hlsDir, name, durationSeconds: videoSeconds(plan), timelineOffsetSeconds: hls.offsetSeconds }),
    ]);
    await uploadHlsFolder(plan, name, hls.hlsDir, deps);
    published.push({
      hls: { uri, language: track.language, name: track.name },
      rendition: { kind: 'subtitles', key, format: 'webvtt', language: track.language, name: track.name, bytes },
    });
  }
  return published;
}

/** The renditions' length: the chunks end to end, as the encoder cut the audio to. */
function videoSeconds(plan: MediaPlan): number {
  return plan.chunks.reduce((sum, chunk) => sum + chunk.durationSeconds, 0);
}

/** One rendition's playlist and segments, from hlsDir/<name>/ to the job's HLS prefix; then off the disk. Returns their bytes. */
async function uploadHlsFolder(plan: MediaPlan, name: string, hlsDir: string, deps: AssembleMediaDependencies): Promise<number> {
  const folder = join(hlsDir, name);
  const bytes = await uploadFolder(folder, `${keys.hlsPrefix(plan.jobId)}${name}/`, deps);
  await rm(folder, { recursive: true, force: true });
  return bytes;
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

async function uploadFolder(folder: string, keyPrefix: string, deps: AssembleMediaDependencies): Promise<number> {
  const entries = await readdir(folder, { recursive: true });
  const transfer = pLimit(TRANSFER_CONCURRENCY);
  const sizes = await settleAll(
    entries.map((entry) => transfer(async () => {
      const path = join(folder, entry);
      const file = await stat(path);
      if (!file.isFile()) return 0;
      await uploadFile(path, `${keyPrefix}${relative(folder, path).split('\\').join('/')}`, deps);
      return file.size;
    })),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}

function uploadFile(path: string, key: string, deps: AssembleMediaDependencies): Promise<unknown> {
  const extension = key.split('.').pop() ?? '';
  return deps.store.uploadFile({ bucket: deps.renditionsBucket, key }, path, contentTypeByExtension[extension] ?? 'application/octet-stream');
}

/**
 * Promise.all that waits for every task to end before it rethrows the first failure: no upload
 * is still in flight when a failed job's manifest is written and its partial renditions deleted.
 */
async function settleAll<T extends readonly unknown[] | []>(tasks: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results: Array<PromiseSettledResult<unknown>> = await Promise.allSettled(tasks as readonly unknown[]);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
