/**
 * Playback URLs: a small port with one binding per host. The AWS binding points at the
 * CloudFront distribution and, with a key pair, signs one custom policy for the job's whole
 * prefix (`<base>/<jobId>/*`): one query string valid for every file of the job, so HLS child
 * playlists and segments work when a player appends the master's query to the URIs it
 * resolves. The local binding (infra/local/api-server.ts) puts a per-job capability in the path instead,
 * which relative URIs keep by themselves.
 */
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import type { Manifest } from '../../shared/contracts/manifest.ts';
import type { Playback } from '../../shared/contracts/api.ts';
import { keys } from '../../shared/keys.ts';

/** How one job's files are reached: a URL per key, and when they stop working, if ever. */
export interface JobUrls {
  url(key: string): string;
  expiresAt?: string;
}

export interface PlaybackPort {
  forJob(jobId: string): Promise<JobUrls>;
}

export interface CloudFrontSigner {
  keyPairId: string;
  /** The key group's private key (PEM), read once when first needed. */
  privateKey: () => Promise<string>;
  seconds: number;
  now?: () => Date;
}

export function cloudFrontPlayback(baseUrl: string, signer?: CloudFrontSigner): PlaybackPort {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    async forJob(jobId) {
      const unsigned = (key: string) => `${base}/${encodeKey(key)}`;
      if (!signer) return { url: unsigned };
      const expires = new Date((signer.now?.() ?? new Date()).getTime() + signer.seconds * 1000);
      const policy = JSON.stringify({
        Statement: [{ Resource: `${base}/${keys.jobPrefix(jobId)}*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(expires.getTime() / 1000) } } }],
      });
      const signed = new URL(getSignedUrl({ url: unsigned(keys.manifest(jobId)), keyPairId: signer.keyPairId, privateKey: await signer.privateKey(), policy }));
      const query = signed.search;
      return { url: (key) => `${unsigned(key)}${query}`, expiresAt: expires.toISOString() };
    },
  };
}

/** Keys are ours (job id, fixed folder names, rung labels): encode each segment, keep the slashes. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** A finished job's renditions as ready-to-use URLs. */
export function playbackOf(manifest: Manifest, urls: JobUrls): Playback {
  const playback: Playback = { manifest: urls.url(keys.manifest(manifest.jobId)), mp4: [], audio: [], subtitles: [], thumbnails: [], images: [] };
  for (const rendition of manifest.renditions) {
    const url = urls.url(rendition.key);
    switch (rendition.kind) {
      case 'hls':
        playback.hls = url;
        break;
      case 'video':
        playback.mp4.push({ rung: rendition.rung, width: rendition.width, height: rendition.height, url });
        break;
      case 'audio':
        // HLS audio renditions are playlists; the standalone track is the one file players fetch whole.
        if (!rendition.key.endsWith('.m3u8')) playback.audio.push({ ...(rendition.language && { language: rendition.language }), url });
        break;
      case 'subtitles':
        playback.subtitles.push({ language: rendition.language, url });
        break;
      case 'image':
        if (rendition.role === 'poster') playback.poster = rendition.format === 'jpeg' || !playback.poster ? url : playback.poster;
        else if (rendition.role === 'thumbnail') playback.thumbnails.push(url);
        else playback.images.push({ width: rendition.width, height: rendition.height, format: rendition.format, bytes: rendition.bytes, url });
        break;
      case 'storyboard':
        playback.storyboard = { vtt: url, sprites: rendition.sprites.map((key) => urls.url(key)) };
        break;
    }
  }
  if (urls.expiresAt) playback.expiresAt = urls.expiresAt;
  return playback;
}
