/**
 * Where a job's objects live. Every output sits under the job id in the renditions bucket,
 * which is separate from the input bucket so that writing an output never triggers a job.
 * Intermediate objects (the plan, cut segments, encoded chunks, stills) sit under the job id
 * in the work bucket, and are deleted when the job ends.
 */
import type { ImageFormat } from './contracts/manifest.ts';

const extensionOf: Record<ImageFormat, string> = { avif: 'avif', webp: 'webp', jpeg: 'jpg' };
const padded = (index: number) => String(index).padStart(5, '0');
const MANIFEST_NAME = 'manifest.json';

type ImageRole = 'image' | 'poster' | 'thumbnail';

function imageFolder(role: ImageRole, ordinal: number | undefined): string {
  if (role === 'thumbnail') return `thumbnails/${String(ordinal ?? 1).padStart(2, '0')}`;
  return role;
}

export const keys = {
  jobPrefix: (jobId: string) => `${jobId}/`,

  // renditions bucket
  manifest: (jobId: string) => `${jobId}/${MANIFEST_NAME}`,
  /** The job whose manifest this key is; undefined for any other key. */
  jobOfManifest: (key: string): string | undefined => {
    const jobId = key.slice(0, -`/${MANIFEST_NAME}`.length);
    return jobId !== '' && !jobId.includes('/') && key === `${jobId}/${MANIFEST_NAME}` ? jobId : undefined;
  },
  imageRendition: (jobId: string, width: number, format: ImageFormat, role: ImageRole = 'image', ordinal?: number) =>
    `${jobId}/${imageFolder(role, ordinal)}/${width}w.${extensionOf[format]}`,
  videoRendition: (jobId: string, rung: string) => `${jobId}/video/${rung}.mp4`,
  audioRendition: (jobId: string) => `${jobId}/audio/audio.m4a`,
  /** A text subtitle track as WebVTT; `label` comes from the track planner (`en`, `en-2`), never from the file. */
  subtitlesRendition: (jobId: string, label: string) => `${jobId}/subtitles/${label}.vtt`,
  /** A storyboard sprite, numbered from 0 (`00.jpg`); its WebVTT map sits beside it and names it relatively. */
  storyboardSprite: (jobId: string, index: number) => `${jobId}/storyboard/${String(index).padStart(2, '0')}.jpg`,
  storyboardVtt: (jobId: string) => `${jobId}/storyboard/storyboard.vtt`,
  hlsPrefix: (jobId: string) => `${jobId}/hls/`,
  hlsMaster: (jobId: string) => `${jobId}/hls/master.m3u8`,

  // work bucket
  plan: (jobId: string) => `${jobId}/plan.json`,
  segment: (jobId: string, index: number, extension: string) => `${jobId}/segments/${padded(index)}.${extension}`,
  /** One audio track of the source (`track` indexes the plan's audioTracks), as the splitter copied it. */
  sourceAudio: (jobId: string, extension: string, track = 0) => `${jobId}/audio-sources/${track}.${extension}`,
  /** One subtitle track (`track` indexes the plan's subtitles) as WebVTT on the video's timeline. */
  sourceSubtitles: (jobId: string, track: number) => `${jobId}/subtitles/${track}.vtt`,
  still: (jobId: string, name: string) => `${jobId}/stills/${name}.png`,
  encodedChunk: (jobId: string, rung: string, index: number, extension: string) => `${jobId}/chunks/${rung}/${padded(index)}.${extension}`,
  /** One chunk's storyboard tiles, side by side in tile order (beside the chunk's rungs: the encoder writes both). */
  storyboardTiles: (jobId: string, chunkIndex: number) => `${jobId}/chunks/storyboard/${padded(chunkIndex)}.png`,
  encodedAudio: (jobId: string, track = 0) => `${jobId}/audio/${track}.m4a`,
  /** The encoder's report of one chunk: per rung its CRF, bytes and measured quality (shared/contracts/quality.ts). */
  chunkReport: (jobId: string, index: number) => `${jobId}/chunks/reports/${padded(index)}.json`,
  /** Target mode: one chunk's CRF search, per rung, before smoothing. */
  crfSearch: (jobId: string, index: number) => `${jobId}/crf-search/${padded(index)}.json`,
};

export const contentTypeOf: Record<ImageFormat, string> = { avif: 'image/avif', webp: 'image/webp', jpeg: 'image/jpeg' };
