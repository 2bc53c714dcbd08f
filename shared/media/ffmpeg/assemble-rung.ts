/**
 * One rung's chunks joined into a progressive MP4 by stream copy, with the audio muxed in and
 * the moov up front (+faststart).
 *
 * The join is ffmpeg's concat demuxer with an explicit `duration` per chunk taken from the
 * source timeline (next chunk's first frame − this chunk's first frame): chunk k's frames land
 * at Σ earlier durations + their own chunk-local pts, which is exactly their source pts less the
 * first frame's. Without it the demuxer would guess each chunk's length from its last packet's
 * duration, and VFR chunks would drift. The durations are written so that their running sums
 * are the rounded running sums of the input (no error piles up over thousands of chunks).
 *
 * The last frame lasts until the source's end (Σ durations): a screen recording's last frame
 * held for 2 s, or a cover picture held while the audio plays. The encoder gives every packet
 * one frame's duration; the MP4 muxer ends the track (its edit list) at the largest pts +
 * duration, and times every other sample by the next one's dts. So a setts filter sets each
 * packet's duration to the end minus its pts (pts and dts kept: setts in ffmpeg 5.1 would
 * otherwise set the pts to the dts), and the track ends exactly on the source's end.
 *
 * The concat demuxer decodes every chunk with the first chunk's SPS/PPS, so chunks whose avcC
 * differ (encoded by another ffmpeg build, with other settings) are refused before joining.
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import { InternalError } from '../../errors.ts';
import { checkedPath, outputPath as checkedOutputPath, seconds } from './ffmpeg-args.ts';
import { probeOutput } from './probe-output.ts';
import { readMp4Info } from './read-mp4-info.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface AssembleRungOptions {
  /** Encoded chunks (CHUNK_CONTAINER), in order. */
  chunkPaths: readonly string[];
  /** Per chunk, on the source timeline: next chunk's start − this start; the last: source end − its start. */
  chunkDurationsSeconds: readonly number[];
  /** encodeAudio's output; none for a video without sound. */
  audioPath?: string;
  outputPath: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface AssembledRung {
  /** The video track's. */
  durationSeconds: number;
  frames: number;
  bytes: number;
  /** Whole file (video and audio) over the video's duration. */
  bitrateKbps: number;
  /** RFC 6381, video then audio: `avc1.64001f,mp4a.40.2`. */
  codecs: string;
  /** RFC 6381 of the video track alone: what an HLS variant without muxed audio holds. */
  videoCodecs: string;
  /** Frames per second as ffprobe reports the video track (r_frame_rate, else average). */
  frameRate: number;
}

export async function assembleRung(options: AssembleRungOptions): Promise<AssembledRung> {
  const { chunkPaths, chunkDurationsSeconds, audioPath, outputPath, timeoutMs, signal } = options;
  if (chunkPaths.length === 0) throw new TypeError('assembleRung needs at least one chunk');
  if (chunkPaths.length !== chunkDurationsSeconds.length) {
    throw new TypeError(`${chunkPaths.length} chunks but ${chunkDurationsSeconds.length} durations`);
  }
  await checkSameDecoderConfig(chunkPaths);

  const endSeconds = chunkDurationsSeconds.reduce((sum, duration) => sum + duration, 0);
  const listPath = `${checkedOutputPath(outputPath)}.ffconcat`;
  try {
    await writeFile(listPath, concatList(chunkPaths, chunkDurationsSeconds));
    await runFfmpeg({
      task: 'assemble rung',
      inputs: [
        // -safe 0: the list names absolute file: URLs (which -protocol_whitelist still confines to files).
        { path: listPath, options: ['-f', 'concat', '-safe', '0', '-format_whitelist', 'concat,mov'] },
        ...(audioPath === undefined ? [] : [{ path: audioPath, options: ['-f', 'mov', '-format_whitelist', 'mov'] }]),
      ],
      outputs: [
        {
          path: outputPath,
          options: [
            '-map', '0:v:0',
            ...(audioPath === undefined ? [] : ['-map', '1:a:0']),
            '-c', 'copy',
            '-bsf:v', `setts=pts=PTS:dts=DTS:duration=${seconds(endSeconds)}/TB-PTS`,
            '-map_metadata', '-1',
            '-map_chapters', '-1',
            '-movflags', '+faststart',
            '-f', 'mp4',
          ],
        },
      ],
      timeoutMs,
      signal,
    });
  } finally {
    await rm(listPath, { force: true });
  }

  const [facts, { size }, { codecs, videoCodecs, videoFrames }] = await Promise.all([probeOutput(outputPath), stat(outputPath), readMp4Info(outputPath)]);
  if (!facts.video?.frameRate) throw new InternalError('ENCODER_FAILED', `assemble rung: ${outputPath} has no video stream with a frame rate`);
  const durationSeconds = facts.video.durationSeconds;
  return {
    durationSeconds,
    frames: videoFrames,
    bytes: size,
    bitrateKbps: durationSeconds > 0 ? Math.round((size * 8) / durationSeconds / 1000) : 0,
    codecs,
    videoCodecs,
    frameRate: facts.video.frameRate,
  };
}

/** An ffconcat script: each chunk as a file: URL, with its duration on the source timeline. */
export function concatList(chunkPaths: readonly string[], durationsSeconds: readonly number[]): string {
  const lines = ['ffconcat version 1.0'];
  let start = 0;
  let startMicros = 0;
  chunkPaths.forEach((path, index) => {
    const duration = durationsSeconds[index]!;
    if (!(duration > 0) || !Number.isFinite(duration)) throw new RangeError(`chunk ${index} has duration ${duration}`);
    start += duration;
    const endMicros = Math.round(start * 1e6);
    // Inside single quotes nothing is special but the quote itself: close, escape it, reopen.
    lines.push(`file 'file:${checkedPath(path).replaceAll("'", "'\\''")}'`, `duration ${seconds((endMicros - startMicros) / 1e6)}`);
    startMicros = endMicros;
  });
  return `${lines.join('\n')}\n`;
}

async function checkSameDecoderConfig(chunkPaths: readonly string[]): Promise<void> {
  const configs = await Promise.all(chunkPaths.map(async (path) => (await readMp4Info(path)).avcConfig));
  const first = configs[0];
  configs.forEach((config, index) => {
    if (!config || !first || !config.equals(first)) {
      throw new InternalError('ENCODER_FAILED', `chunk ${index} (${chunkPaths[index]}) has another H.264 decoder configuration than chunk 0; it cannot be joined by stream copy`);
    }
  });
}
