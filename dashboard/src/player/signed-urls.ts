/**
 * CloudFront signed playback: the API signs one policy per job and puts it in the URLs' query.
 * A playlist's relative URIs lose that query, so hls.js is told to add it to every request it
 * makes under the same job. Unsigned URLs (the local host's, an open distribution's) need nothing.
 */
import type { HlsConfig } from 'hls.js';

const SIGNATURE_PARAMS = ['Policy', 'Signature', 'Key-Pair-Id'];

export function signedQueryConfig(url: string): Partial<HlsConfig> | undefined {
  const signed = new URL(url);
  if (!SIGNATURE_PARAMS.every((name) => signed.searchParams.has(name))) return undefined;
  return {
    xhrSetup(xhr, requestUrl) {
      const request = new URL(requestUrl);
      if (request.search === '') {
        request.search = signed.search;
        xhr.open('GET', request.toString(), true);
      }
    },
  };
}
