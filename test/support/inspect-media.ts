/**
 * Test-side inspection of outputs with ffprobe: what a player would see. This is test tooling;
 * the pipeline builds its ffmpeg arguments only in shared/media/ffmpeg/.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function ffprobeJson(args: string[]): Promise<any> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', ...args], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout);
}

export interface InspectedStream {
  codecType: 'video' | 'audio';
  codec: string;
  width?: number;
  height?: number;
  frames: number;
  durationSeconds: number;
}

/** Streams of a file, with frames counted from packets and durations from the packets' end. */
export async function inspectStreams(path: string): Promise<InspectedStream[]> {
  const probed = await ffprobeJson(['-count_packets', '-show_streams', path]);
  const packets = await ffprobeJson(['-show_entries', 'packet=stream_index,pts_time,duration_time', path]);
  return probed.streams.map((stream: any) => {
    const own = packets.packets.filter((packet: any) => packet.stream_index === stream.index);
    const ends = own.map((packet: any) => Number(packet.pts_time) + Number(packet.duration_time ?? 0));
    const starts = own.map((packet: any) => Number(packet.pts_time));
    return {
      codecType: stream.codec_type,
      codec: stream.codec_name,
      ...(stream.width ? { width: stream.width, height: stream.height } : {}),
      frames: Number(stream.nb_read_packets),
      durationSeconds: Math.max(...ends) - Math.min(...starts),
    };
  });
}

/** The video packets' presentation timestamps, in display order. */
export async function videoPts(path: string): Promise<number[]> {
  const packets = await ffprobeJson(['-select_streams', 'v:0', '-show_entries', 'packet=pts_time', path]);
  return packets.packets.map((packet: any) => Number(packet.pts_time)).sort((a: number, b: number) => a - b);
}

/** The variants ffprobe finds behind an HLS master playlist (each one a program). */
export async function hlsVariants(masterPath: string): Promise<Array<{ width: number; height: number; bandwidth: number }>> {
  const probed = await ffprobeJson(['-show_programs', '-allowed_extensions', 'ALL', masterPath]);
  return probed.programs.map((program: any) => {
    const video = program.streams.find((stream: any) => stream.codec_type === 'video');
    return { width: video?.width, height: video?.height, bandwidth: Number(program.tags?.variant_bitrate ?? 0) };
  });
}
