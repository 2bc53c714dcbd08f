/**
 * Test tooling for the ffmpeg suites: the pipeline's video path run in one process (plan chunks,
 * cut, encode, encode audio, assemble), and ffprobe/ffmpeg measurements of what came out. The
 * measurements build their own ffmpeg arguments: they are the yardstick, not the pipeline.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assembleRung, type AssembledRung } from '../../shared/media/ffmpeg/assemble-rung.ts';
import { cutSegment, extractAudio } from '../../shared/media/ffmpeg/cut-segment.ts';
import { encodeAudio } from '../../shared/media/ffmpeg/encode-audio.ts';
import { CHUNK_CONTAINER, type ChunkRung, type EncodedRung, encodeChunk } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';
import { listVideoFrames } from '../../shared/media/ffmpeg/list-video-frames.ts';
import type { VideoFrame } from '../../shared/media/ffmpeg/media-facts.ts';
import type { MediaInputFormat } from '../../shared/media/ffmpeg/source-demuxer.ts';
import type { Rotation } from '../../shared/media/rotation.ts';
import { RENDITION_PROFILE } from '../../shared/rendition-profile.ts';

const run = promisify(execFile);

export interface TestChunk {
  startSeconds: number;
  endSeconds?: number;
  cutFromSeconds: number;
  frames: number;
  durationSeconds: number;
}

/**
 * The design's chunking, written out plainly: a chunk starts at the first frame at or after each
 * multiple of chunkSeconds (counted from the first frame) and is cut from the last keyframe at or
 * before it. Deliberately not the splitter's planChunks: an independent oracle.
 */
export function planTestChunks(frames: readonly VideoFrame[], chunkSeconds: number, sourceEndSeconds: number): TestChunk[] {
  const first = frames[0]!.pts;
  const starts: number[] = [];
  for (let index = 0; index < frames.length; index++) {
    if (frames[index]!.pts >= first + starts.length * chunkSeconds - 1e-9) starts.push(index);
  }
  return starts.map((startIndex, chunk) => {
    const nextIndex = starts[chunk + 1];
    let keyframe = startIndex;
    while (!frames[keyframe]!.keyframe) keyframe--;
    const startSeconds = frames[startIndex]!.pts;
    const endSeconds = nextIndex === undefined ? undefined : frames[nextIndex]!.pts;
    return {
      startSeconds,
      ...(endSeconds === undefined ? {} : { endSeconds }),
      cutFromSeconds: frames[keyframe]!.pts,
      frames: (nextIndex ?? frames.length) - startIndex,
      durationSeconds: (endSeconds ?? sourceEndSeconds) - startSeconds,
    };
  });
}

export interface ChunkedEncode {
  frames: VideoFrame[];
  chunks: TestChunk[];
  /** Per chunk, per rung, what encodeChunk reported. */
  encoded: EncodedRung[][];
  /** The assembled MP4 per rung name. */
  outputs: Record<string, { path: string; assembled: AssembledRung }>;
  /** The source's video end: last frame pts + its duration. */
  sourceEndSeconds: number;
  /** The encoded audio (.m4a) the MP4s carry; none for a source without sound. */
  audioPath?: string;
}

/** Runs the splitter → encoder → assembler path on one source, in `workDir`. */
export async function encodeChunked(options: {
  sourcePath: string;
  format: MediaInputFormat;
  rungs: readonly ChunkRung[];
  rotation?: Rotation;
  chunkSeconds?: number;
  gopSeconds?: number;
  preset?: string;
  audio?: boolean;
  /** Target mode: each chunk at its own CRF (every rung), as the CRF search chooses. */
  crfOfChunk?: (index: number) => number;
  workDir: string;
}): Promise<ChunkedEncode> {
  const { sourcePath, format, rotation = 0, chunkSeconds = 4, gopSeconds = 2, preset = 'superfast', audio = true, crfOfChunk, workDir } = options;
  await mkdir(workDir, { recursive: true });
  const frames = await listVideoFrames(sourcePath, { format });
  const sourceEndSeconds = await videoEndSeconds(sourcePath);
  const chunks = planTestChunks(frames, chunkSeconds, sourceEndSeconds);

  const encoded: EncodedRung[][] = [];
  for (const [index, chunk] of chunks.entries()) {
    const segmentPath = join(workDir, `segment-${index}.${INTERMEDIATE_FORMAT.extension}`);
    await cutSegment({ sourcePath, format, fromSeconds: chunk.cutFromSeconds, toSeconds: chunk.endSeconds, outputPath: segmentPath });
    const rungs = crfOfChunk ? options.rungs.map((rung) => ({ ...rung, crf: crfOfChunk(index) })) : options.rungs;
    const outputs = Object.fromEntries(rungs.map((rung) => [rung.name, join(workDir, `chunk-${rung.name}-${index}.${CHUNK_CONTAINER.extension}`)]));
    encoded.push(
      (await encodeChunk({ segmentPath, startSeconds: chunk.startSeconds, endSeconds: chunk.endSeconds, rotation, rungs, gopSeconds, preset, outputs })).rungs,
    );
  }

  let audioPath: string | undefined;
  if (audio) {
    const extracted = join(workDir, `audio-source.${INTERMEDIATE_FORMAT.extension}`);
    audioPath = join(workDir, 'audio.m4a');
    await extractAudio({ sourcePath, format, outputPath: extracted });
    await encodeAudio({
      inputPath: extracted,
      outputPath: audioPath,
      ...RENDITION_PROFILE.audio,
      startSeconds: chunks[0]!.startSeconds,
      durationSeconds: sourceEndSeconds - chunks[0]!.startSeconds,
    });
  }

  const outputs: ChunkedEncode['outputs'] = {};
  for (const rung of options.rungs) {
    const path = join(workDir, `${rung.name}.mp4`);
    const assembled = await assembleRung({
      chunkPaths: chunks.map((_, index) => join(workDir, `chunk-${rung.name}-${index}.${CHUNK_CONTAINER.extension}`)),
      chunkDurationsSeconds: chunks.map((chunk) => chunk.durationSeconds),
      audioPath,
      outputPath: path,
    });
    outputs[rung.name] = { path, assembled };
  }
  return { frames, chunks, encoded, outputs, sourceEndSeconds, ...(audioPath && { audioPath }) };
}

async function ffprobeJson(args: readonly string[]): Promise<unknown> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', ...args], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout);
}

interface Packet {
  pts: number;
  dts: number;
  duration: number;
  keyframe: boolean;
}

/** A stream's packets as exact ticks of its time base, in file (decode) order. */
export async function packets(path: string, stream: 'v:0' | 'a:0'): Promise<{ timeBase: number; packets: Packet[] }> {
  const probed = (await ffprobeJson(['-select_streams', stream, '-show_entries', 'stream=time_base:packet=pts,dts,duration,flags', path])) as {
    streams: Array<{ time_base: string }>;
    packets: Array<{ pts: number; dts: number; duration?: number; flags: string }>;
  };
  const [num, den] = probed.streams[0]!.time_base.split('/').map(Number);
  return {
    timeBase: num! / den!,
    packets: probed.packets.map((packet) => ({ pts: packet.pts, dts: packet.dts, duration: packet.duration ?? 0, keyframe: packet.flags.startsWith('K') })),
  };
}

/** Presentation times in seconds, sorted. */
export async function presentationTimes(path: string): Promise<number[]> {
  const { timeBase, packets: list } = await packets(path, 'v:0');
  return list.map((packet) => packet.pts * timeBase).sort((a, b) => a - b);
}

/** Where a stream ends: its last packet (in presentation order) plus that packet's duration. */
export async function streamSpan(path: string, stream: 'v:0' | 'a:0'): Promise<{ start: number; end: number }> {
  const { timeBase, packets: list } = await packets(path, stream);
  const last = list.reduce((latest, packet) => (packet.pts > latest.pts ? packet : latest));
  const first = Math.min(...list.map((packet) => packet.pts));
  return { start: first * timeBase, end: (last.pts + last.duration) * timeBase };
}

/** The source video's end: last frame pts + its duration, as the container states it. */
export async function videoEndSeconds(path: string): Promise<number> {
  return (await streamSpan(path, 'v:0')).end;
}

/**
 * An MP4's track durations as a player sees them, edit lists applied (ffprobe's stream duration).
 */
export async function trackDurations(path: string): Promise<{ video?: number; audio?: number; audioSampleRate?: number }> {
  const probed = (await ffprobeJson(['-show_entries', 'stream=codec_type,duration,sample_rate', path])) as {
    streams: Array<{ codec_type: string; duration: string; sample_rate?: string }>;
  };
  const video = probed.streams.find((stream) => stream.codec_type === 'video');
  const audio = probed.streams.find((stream) => stream.codec_type === 'audio');
  return {
    ...(video && { video: Number(video.duration) }),
    ...(audio && { audio: Number(audio.duration), audioSampleRate: Number(audio.sample_rate) }),
  };
}

export async function videoSize(path: string): Promise<{ width: number; height: number }> {
  const probed = (await ffprobeJson(['-select_streams', 'v:0', '-show_entries', 'stream=width,height', path])) as { streams: Array<{ width: number; height: number }> };
  return probed.streams[0]!;
}

/**
 * PSNR (average, all planes) of `encodedPath` against the source scaled to the same size the way
 * the encoder scales it (Lanczos, then 4:2:0).
 */
export async function psnrAgainstSource(encodedPath: string, sourcePath: string, width: number, height: number): Promise<number> {
  const graph = `[1:v]scale=w=${width}:h=${height}:flags=lanczos,setsar=1,format=yuv420p[ref];[0:v]setsar=1[enc];[enc][ref]psnr`;
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', encodedPath, '-i', sourcePath, '-filter_complex', graph, '-f', 'null', '-'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const match = /PSNR .* average:([0-9.]+|inf)/.exec(stderr);
  if (!match) throw new Error(`no PSNR in ffmpeg's output: ${stderr.slice(-500)}`);
  return Number(match[1]);
}

/** The mean RGB of a square of a PNG (or any picture ffmpeg reads), 0–255. */
export async function meanColour(path: string, region: { x: number; y: number; size: number }): Promise<[number, number, number]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', path, '-frames:v', '1', '-vf', `crop=${region.size}:${region.size}:${region.x}:${region.y},format=rgb24`, '-f', 'rawvideo', '-'],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  );
  const sums = [0, 0, 0];
  for (let index = 0; index < stdout.length; index++) sums[index % 3]! += stdout[index]!;
  const pixels = stdout.length / 3;
  return [sums[0]! / pixels, sums[1]! / pixels, sums[2]! / pixels];
}

/** The first frame of a video as a PNG, for looking at where things are. */
export async function firstFrame(videoPath: string, pngPath: string): Promise<string> {
  await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', videoPath, '-frames:v', '1', pngPath]);
  return pngPath;
}
