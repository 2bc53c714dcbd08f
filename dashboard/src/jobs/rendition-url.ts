/**
 * Any rendition's URL, from the playback manifest URL the API signed: every file of a job sits
 * beside its manifest.json, and a signed URL's query covers the whole job prefix.
 */
import type { Playback } from '../../../shared/contracts/api.ts';

export function renditionUrl(playback: Pick<Playback, 'manifest'>, jobId: string, key: string): string {
  const manifest = new URL(playback.manifest);
  const prefix = `${jobId}/`;
  const relative = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  const url = new URL(relative.split('/').map(encodeURIComponent).join('/'), manifest);
  url.search = manifest.search;
  return url.toString();
}
