/**
 * Decides what an upload is from its first bytes, never from its name or Content-Type: both are
 * chosen by whoever uploaded it. Only the containers the pipeline accepts get an answer; anything
 * else (text, HTML, PDF, archives, HLS playlists, unknown bytes) is `undefined` and the splitter
 * rejects it as UNSUPPORTED_MEDIA_TYPE.
 *
 * SVG is never accepted, whatever its bytes say: it is a program, not a picture (scripts,
 * external entities, remote references), and rasterising it means running an untrusted loader.
 * image.ts blocks the SVG loader too, so an SVG that slipped past here still cannot be decoded.
 *
 * Three families are recognised here before file-type, because file-type cannot decide them from
 * a head: TIFF (libtiff, sharp and ImageMagick write the first IFD after the pixels, far past any
 * head, and file-type needs to read it), transport streams (file-type takes two sync bytes as
 * enough) and HEIF (file-type reads only the major brand, so an AVIF branded `mif1` reads as HEIC).
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

/** `heic` is any HEIF still whose picture is HEVC (phones' photos); AV1 in HEIF is `avif`. */
export const ImageInputFormat = z.enum(['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff', 'heic']);
export type ImageInputFormat = z.infer<typeof ImageInputFormat>;
/** `mpegts`: 188-byte packets (broadcast, .ts); `m2ts`: 192-byte packets (Blu-ray, AVCHD .mts/.m2ts). */
export const VideoInputFormat = z.enum(['mp4', 'mov', 'mkv', 'webm', 'mpegts', 'm2ts']);
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
  const recognised = sniffTransportStream(head) ?? sniffHeif(head);
  if (recognised !== undefined) return recognised;
  const detected = await fileTypeFromBuffer(head);
  // A TIFF whose first IFD lies past the head: file-type gives up on it, its header is enough to route it.
  if (detected === undefined) return hasTiffHeader(head) ? { mediaType: 'image', format: 'tiff', mime: 'image/tiff' } : undefined;
  const accepted = ACCEPTED_BY_EXTENSION.get(detected.ext);
  if (accepted === undefined) return undefined;
  return { ...accepted, mime: detected.mime };
}

/** The packet layouts of an MPEG transport stream: a 0x47 sync byte at `syncAt` in every packet. */
const TRANSPORT_STREAMS = [
  { format: 'mpegts', packetBytes: 188, syncAt: 0 },
  // Each packet behind a 4-byte arrival timestamp.
  { format: 'm2ts', packetBytes: 192, syncAt: 4 },
] as const;
/**
 * Packets whose sync byte must be in place, all in a row from the start: one 0x47 is any byte's
 * chance in 256 (a GIF starts with one), five in a row at the packet stride are a transport
 * stream. Within a full head every packet's sync byte is checked (21 of them).
 */
export const MIN_TRANSPORT_STREAM_PACKETS = 5;
const SYNC_BYTE = 0x47;

function sniffTransportStream(head: Uint8Array): SniffedMedia | undefined {
  for (const { format, packetBytes, syncAt } of TRANSPORT_STREAMS) {
    const packets = Math.floor((head.length - syncAt + packetBytes - 1) / packetBytes);
    if (packets < MIN_TRANSPORT_STREAM_PACKETS) continue;
    let synced = true;
    for (let packet = 0; packet < packets && synced; packet++) synced = head[syncAt + packet * packetBytes] === SYNC_BYTE;
    if (synced) return { mediaType: 'video', format, mime: 'video/mp2t' };
  }
  return undefined;
}

/** HEIF brands whose picture is HEVC: stills (heic, heix: 8 and 10 bit), multi-image (heim, heis) and sequences (hevc, hevx, hevm, hevs). */
const HEVC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs']);
const AV1_BRANDS = new Set(['avif', 'avis']);
/** The generic HEIF brands: the codec is whatever the item says, which sharp's header read tells. */
const GENERIC_HEIF_BRANDS = new Set(['mif1', 'msf1']);
const HEIF_MAJOR_BRANDS = new Set([...HEVC_BRANDS, ...AV1_BRANDS, ...GENERIC_HEIF_BRANDS]);

/**
 * An ISO BMFF file whose major brand is a HEIF image brand. AVIF wins wherever its brand is listed
 * (an AVIF may carry `mif1` as its major brand); HEVC brands, or only the generic ones, make it
 * `heic`, and the header read then says whether the item really is HEVC.
 */
function sniffHeif(head: Uint8Array): SniffedMedia | undefined {
  const brands = ftypBrands(head);
  if (brands === undefined || !HEIF_MAJOR_BRANDS.has(brands[0] ?? '')) return undefined;
  if (brands.some((brand) => AV1_BRANDS.has(brand))) return { mediaType: 'image', format: 'avif', mime: 'image/avif' };
  const sequence = brands[0] === 'msf1' || brands[0] === 'hevc' || brands[0] === 'hevx' || brands[0] === 'hevm' || brands[0] === 'hevs';
  const generic = !brands.some((brand) => HEVC_BRANDS.has(brand));
  return { mediaType: 'image', format: 'heic', mime: `image/${generic ? 'heif' : 'heic'}${sequence ? '-sequence' : ''}` };
}

/** The major brand, then the compatible ones, of a leading `ftyp` box; undefined when there is none. */
function ftypBrands(head: Uint8Array): string[] | undefined {
  if (head.length < 16 || latin1(head, 4, 8) !== 'ftyp') return undefined;
  const size = Math.min(new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0), head.length);
  const brands = [latin1(head, 8, 12)];
  // The minor version (bytes 12..16) sits between the major brand and the compatible ones.
  for (let offset = 16; offset + 4 <= size; offset += 4) brands.push(latin1(head, offset, offset + 4));
  return brands;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/** `II*\0` or `MM\0*`: TIFF's byte order and magic 42 (BigTIFF's 43 too, which libtiff reads). */
function hasTiffHeader(head: Uint8Array): boolean {
  const [a, b, c, d] = head;
  return (a === 0x49 && b === 0x49 && (c === 0x2a || c === 0x2b) && d === 0x00) || (a === 0x4d && b === 0x4d && c === 0x00 && (d === 0x2a || d === 0x2b));
}
