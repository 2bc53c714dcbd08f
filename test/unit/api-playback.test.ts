import { generateKeyPairSync, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cloudFrontPlayback, playbackOf } from '../../functions/api/playback.ts';
import { localPlayback, playbackToken } from '../../infra/local/api-server.ts';
import { openApiDocumentText } from '../../functions/api/openapi-document.ts';
import { Manifest } from '../../shared/contracts/manifest.ts';

const jobId = 'clip-0123456789abcdef0123';
const manifest = Manifest.parse({
  schemaVersion: 1,
  jobId,
  status: 'succeeded',
  source: { bucket: 'in', key: 'uploads/u/clip.mp4', size: 10, mediaType: 'video' },
  renditions: [
    { kind: 'hls', key: `${jobId}/hls/master.m3u8`, variants: 2, segmentSeconds: 4 },
    { kind: 'video', rung: '360p', key: `${jobId}/video/360p.mp4`, codecs: 'avc1', width: 640, height: 360, bitrateKbps: 800, durationSeconds: 6, frames: 180, bytes: 1000 },
    { kind: 'audio', key: `${jobId}/audio/audio.m4a`, codecs: 'mp4a', bitrateKbps: 128, durationSeconds: 6, bytes: 100, language: 'en' },
    { kind: 'subtitles', key: `${jobId}/subtitles/en.vtt`, format: 'webvtt', language: 'en', name: 'English', bytes: 10 },
    { kind: 'image', role: 'poster', key: `${jobId}/poster/640w.webp`, format: 'webp', width: 640, height: 360, bytes: 10 },
    { kind: 'image', role: 'poster', key: `${jobId}/poster/640w.jpg`, format: 'jpeg', width: 640, height: 360, bytes: 10 },
    { kind: 'image', role: 'thumbnail', ordinal: 1, key: `${jobId}/thumbnails/01/320w.jpg`, format: 'jpeg', width: 320, height: 180, bytes: 10 },
  ],
  timings: { receivedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:10.000Z', totalMs: 10_000, splitMs: 1, assembleMs: 1, steps: [] },
});

/** CloudFront's URL-safe base64: + becomes -, = becomes _, / becomes ~. */
const fromCloudFrontBase64 = (text: string) => Buffer.from(text.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');

describe('playback URLs', () => {
  it('lists every rendition from a manifest, unsigned', async () => {
    const playback = playbackOf(manifest, await cloudFrontPlayback('https://d111.cloudfront.net/').forJob(jobId));
    expect(playback).toEqual({
      manifest: `https://d111.cloudfront.net/${jobId}/manifest.json`,
      hls: `https://d111.cloudfront.net/${jobId}/hls/master.m3u8`,
      mp4: [{ rung: '360p', width: 640, height: 360, url: `https://d111.cloudfront.net/${jobId}/video/360p.mp4` }],
      audio: [{ language: 'en', url: `https://d111.cloudfront.net/${jobId}/audio/audio.m4a` }],
      subtitles: [{ language: 'en', url: `https://d111.cloudfront.net/${jobId}/subtitles/en.vtt` }],
      poster: `https://d111.cloudfront.net/${jobId}/poster/640w.jpg`,
      thumbnails: [`https://d111.cloudfront.net/${jobId}/thumbnails/01/320w.jpg`],
      images: [],
    });
  });

  it("signs one custom policy for the job's whole prefix, verifiable with the public key", async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = new Date('2026-01-01T00:00:00Z');
    const port = cloudFrontPlayback('https://d111.cloudfront.net', {
      keyPairId: 'K2JCJMDEHXQW5F',
      privateKey: async () => privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      seconds: 3600,
      now: () => now,
    });
    const playback = playbackOf(manifest, await port.forJob(jobId));
    expect(playback.expiresAt).toBe('2026-01-01T01:00:00.000Z');
    const urls = [playback.hls!, playback.mp4[0]!.url, playback.poster!, playback.manifest].map((url) => new URL(url));
    const queries = new Set(urls.map((url) => url.search));
    expect(queries.size).toBe(1); // one signature for every file of the job
    const params = urls[0]!.searchParams;
    expect(params.get('Key-Pair-Id')).toBe('K2JCJMDEHXQW5F');
    const policy = fromCloudFrontBase64(params.get('Policy')!);
    expect(JSON.parse(policy.toString('utf8'))).toEqual({
      Statement: [{ Resource: `https://d111.cloudfront.net/${jobId}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Date.parse('2026-01-01T01:00:00Z') / 1000 } } }],
    });
    expect(verify('RSA-SHA1', policy, publicKey, fromCloudFrontBase64(params.get('Signature')!))).toBe(true);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(verify('RSA-SHA1', policy, other, fromCloudFrontBase64(params.get('Signature')!))).toBe(false);
  });

  it("puts the job's capability token in the local path, so relative HLS URIs keep it", async () => {
    const urls = await localPlayback('http://127.0.0.1:9704', 'the-key').forJob(jobId);
    const token = playbackToken('the-key', jobId);
    expect(urls.url(`${jobId}/hls/master.m3u8`)).toBe(`http://127.0.0.1:9704/play/${token}/${jobId}/hls/master.m3u8`);
    expect(new URL('360p/index.m3u8', urls.url(`${jobId}/hls/master.m3u8`)).pathname).toBe(`/play/${token}/${jobId}/hls/360p/index.m3u8`);
    expect(playbackToken('the-key', 'another-job')).not.toBe(token);
    expect(playbackToken('another-key', jobId)).not.toBe(token);
  });
});

describe('docs/openapi.json', () => {
  it('is the document the routes generate (run `npm run openapi` after changing them)', () => {
    expect(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')).toBe(openApiDocumentText());
  });
});
