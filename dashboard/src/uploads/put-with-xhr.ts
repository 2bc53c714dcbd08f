/**
 * The page's PUT to a presigned URL: XMLHttpRequest, because fetch reports no upload progress.
 * Headers the browser sets itself (Content-Length) are left to it.
 */
import type { PutObject } from '../../../shared/upload-through-api.ts';

const BROWSER_SET = new Set(['content-length', 'host']);

export const putWithXhr: PutObject<Blob> = ({ url, body, headers, signal, onProgress }) =>
  new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) if (!BROWSER_SET.has(name.toLowerCase())) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => onProgress(event.loaded);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) onProgress(body.size);
      // Storage must expose ETag to the page's origin (CORS) for a multipart part to count.
      resolve({ status: request.status, etag: request.getResponseHeader('etag'), text: request.responseText });
    };
    request.onerror = () => reject(new Error(`PUT to storage failed: the network or CORS refused it`));
    request.ontimeout = () => reject(new Error('PUT to storage timed out'));
    const abort = () => {
      request.abort();
      reject(signal.reason instanceof Error ? signal.reason : new DOMException('stopped', 'AbortError'));
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    request.onloadend = () => signal.removeEventListener('abort', abort);
    request.send(body);
  });
