/**
 * CloudFront signed playback: the API signs one policy per job and puts it in the URLs' query.
 * A playlist's relative URIs lose that query, so hls.js is told to add it to every request it
 * makes under the same job. Unsigned URLs (the local host's, an open distribution's) need nothing.
 */
import type { HlsConfig } from 'hls.js';
import { parseStoryboardVtt, writeStoryboardVtt } from '../../../shared/storyboard/storyboard-vtt.ts';

const SIGNATURE_PARAMS = ['Policy', 'Signature', 'Key-Pair-Id'];

function signatureOf(url: string): URL | undefined {
  const signed = new URL(url);
  return SIGNATURE_PARAMS.every((name) => signed.searchParams.has(name)) ? signed : undefined;
}

/** Whether a playback URL carries a CloudFront signature. */
export function isSigned(url: string): boolean {
  return signatureOf(url) !== undefined;
}

export function signedQueryConfig(url: string): Partial<HlsConfig> | undefined {
  const signed = signatureOf(url);
  if (!signed) return undefined;
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

/**
 * A signed storyboard's WebVTT with its sprites' URLs made absolute and signed: the seek bar's
 * previews fetch each sprite relative to the WebVTT file, which would drop the query.
 */
export function signedStoryboardVtt(text: string, vttUrl: string): string | undefined {
  const signed = signatureOf(vttUrl);
  if (!signed) return undefined;
  return writeStoryboardVtt(
    parseStoryboardVtt(text).map((cue) => {
      const sprite = new URL(cue.url, signed);
      if (sprite.search === '') sprite.search = signed.search;
      return { ...cue, url: sprite.toString() };
    }),
  );
}
