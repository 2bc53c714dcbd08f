/**
 * Decides what an upload is from its first bytes, never from its name or Content-Type: both are
 * chosen by whoever uploaded it. Only the containers the pipeline accepts get an answer; anything
 * else (text, HTML, PDF, archives, HLS playlists, HEIC, unknown bytes) is `undefined` and the
 * splitter rejects it as UNSUPPORTED_MEDIA_TYPE.
 *
 * SVG is never accepted, whatever its bytes say: it is a program, not a picture (scripts,
 * external entities, remote references), and rasterising it means running an untrusted loader.
 * image.ts blocks the SVG loader too, so an SVG that slipped past here still cannot be decoded.
 *
 * Sniffing only routes the upload; ffprobe (video, audio) and sharp's header read (images)
 * confirm the format before anything is decoded.
 */
import { fileTypeFromBuffer } from 'file-type';
import { z } from 'zod';

/**
 * How many leading bytes to read: file-type's own `reasonableDetectionSizeInBytes` (exported by
 * file-type/core at runtime but not typed; a unit test keeps the two equal). Every format
 * accepted below is recognised within them.
 */
export const SNIFF_BYTES = 4100;

export const ImageInputFormat = z.enum(['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff']);
export type ImageInputFormat = z.infer<typeof ImageInputFormat>;
export const VideoInputFormat = z.enum(['mp4', 'mov', 'mkv', 'webm']);
export type VideoInputFormat = z.infer<typeof VideoInputFormat>;
export const AudioInputFormat = z.enum(['m4a', 'mp3', 'wav', 'flac', 'ogg', 'aac']);
export type AudioInputFormat = z.infer<typeof AudioInputFormat>;

export const SniffedMedia = z.discriminatedUnion('mediaType', [
  z.object({ mediaType: z.literal('image'), format: ImageInputFormat, mime: z.string() }),
  z.object({ mediaType: z.literal('video'), format: VideoInputFormat, mime: z.string() }),
  z.object({ mediaType: z.literal('audio'), format: AudioInputFormat, mime: z.string() }),
]);
export type SniffedMedia = z.infer<typeof SniffedMedia>;

/** A SniffedMedia before the MIME type is known, one member of the union at a time. */
type Accepted = SniffedMedia extends infer Media ? (Media extends SniffedMedia ? Omit<Media, 'mime'> : never) : never;

/** file-type's `ext` -> what we accept it as. A name missing here is rejected. */
const ACCEPTED_BY_EXTENSION: ReadonlyMap<string, Accepted> = new Map(Object.entries({
  jpg: { mediaType: 'image', format: 'jpeg' },
  png: { mediaType: 'image', format: 'png' },
  webp: { mediaType: 'image', format: 'webp' },
  gif: { mediaType: 'image', format: 'gif' },
  avif: { mediaType: 'image', format: 'avif' },
  tif: { mediaType: 'image', format: 'tiff' },
  mp4: { mediaType: 'video', format: 'mp4' },
  // ISO BMFF with Apple's M4V brand: the same container as mp4 (iTunes exports).
  m4v: { mediaType: 'video', format: 'mp4' },
  mov: { mediaType: 'video', format: 'mov' },
  mkv: { mediaType: 'video', format: 'mkv' },
  webm: { mediaType: 'video', format: 'webm' },
  m4a: { mediaType: 'audio', format: 'm4a' },
  mp3: { mediaType: 'audio', format: 'mp3' },
  wav: { mediaType: 'audio', format: 'wav' },
  flac: { mediaType: 'audio', format: 'flac' },
  // Ogg carrying Vorbis, Opus or FLAC; file-type names each codec, we accept the container.
  // Ogg with Theora video (ogv), Speex (spx) or an unknown stream (ogx) stays rejected.
  ogg: { mediaType: 'audio', format: 'ogg' },
  opus: { mediaType: 'audio', format: 'ogg' },
  oga: { mediaType: 'audio', format: 'ogg' },
  aac: { mediaType: 'audio', format: 'aac' },
} satisfies Record<string, Accepted>));

/**
 * `head` is the first SNIFF_BYTES of the object (fewer when the object is shorter). Async
 * because file-type is.
 */
export async function sniffMediaType(head: Uint8Array): Promise<SniffedMedia | undefined> {
  const detected = await fileTypeFromBuffer(head);
  if (detected === undefined) return undefined;
  const accepted = ACCEPTED_BY_EXTENSION.get(detected.ext);
  if (accepted === undefined) return undefined;
  return { ...accepted, mime: detected.mime };
}
