import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration, formatMs, sourceName } from '../../../dashboard/src/format.ts';
import { renditionUrl } from '../../../dashboard/src/jobs/rendition-url.ts';
import { stillsOf } from '../../../dashboard/src/jobs/stills.ts';
import { signedQueryConfig, signedStoryboardVtt } from '../../../dashboard/src/player/signed-urls.ts';
import { parseStoryboardVtt } from '../../../shared/storyboard/storyboard-vtt.ts';
import type { Manifest } from '../../../shared/contracts/manifest.ts';

describe('the page\'s formats', () => {
  it.each([
    [0, '0:00'],
    [7.4, '0:07'],
    [62, '1:02'],
    [3723, '1:02:03'],
  ])('formatDuration(%d) = %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

  it.each([
    [850, '850 ms'],
    [4_200, '4.2 s'],
    [42_000, '42 s'],
    [125_000, '2 min 5 s'],
  ])('formatMs(%d) = %s', (ms, text) => expect(formatMs(ms)).toBe(text));

  it('writes ages as people say them', () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    expect(formatAge('2026-12-03T11:59:55Z', now)).toBe('5 seconds ago');
    expect(formatAge('2026-12-03T11:57:00Z', now)).toBe('3 minutes ago');
    expect(formatAge('2026-12-02T11:00:00Z', now)).toBe('yesterday');
    expect(formatAge('2026-12-03T12:00:00Z', now)).toBe('now');
  });

  it('names a source by its key\'s last part', () => {
    expect(sourceName('uploads/0f5e8a2c/clip one.mp4')).toBe('clip one.mp4');
    expect(sourceName('top.mov')).toBe('top.mov');
    expect(sourceName(undefined)).toBe('(unknown source)');
  });
});

describe('renditionUrl', () => {
  it('puts a job\'s file beside its manifest, encoded, with the manifest URL\'s signature', () => {
    const playback = { manifest: 'https://d1.cloudfront.net/job-1/manifest.json?Policy=p&Signature=s&Key-Pair-Id=k' };
    expect(renditionUrl(playback, 'job-1', 'job-1/images/poster 1.webp')).toBe('https://d1.cloudfront.net/job-1/images/poster%201.webp?Policy=p&Signature=s&Key-Pair-Id=k');
    // A URL's own delimiters in a key stay part of the path, not a query or a fragment.
    expect(renditionUrl(playback, 'job-1', 'job-1/images/a#b?c.webp')).toBe('https://d1.cloudfront.net/job-1/images/a%23b%3Fc.webp?Policy=p&Signature=s&Key-Pair-Id=k');
  });

  it('keeps the local host\'s capability path', () => {
    const playback = { manifest: 'http://127.0.0.1:9704/play/tok/job-1/manifest.json' };
    expect(renditionUrl(playback, 'job-1', 'job-1/hls/master.m3u8')).toBe('http://127.0.0.1:9704/play/tok/job-1/hls/master.m3u8');
  });
});

describe('stillsOf', () => {
  const image = (role: 'poster' | 'thumbnail' | 'image', format: 'avif' | 'webp' | 'jpeg', ordinal?: number) => ({
    kind: 'image' as const,
    role,
    ...(ordinal !== undefined && { ordinal }),
    key: `j/${role}-${ordinal ?? 0}.${format}`,
    format,
    width: 320,
    height: 180,
    bytes: 1,
  });

  it('shows each poster and thumbnail once, in WebP where there is one, poster first, thumbnails in order', () => {
    const manifest = {
      renditions: [image('thumbnail', 'jpeg', 2), image('thumbnail', 'avif', 2), image('thumbnail', 'webp', 1), image('thumbnail', 'jpeg', 1), image('poster', 'avif'), image('poster', 'jpeg'), image('image', 'webp')],
    } as Pick<Manifest, 'renditions'>;
    expect(stillsOf(manifest).map((still) => still.key)).toEqual(['j/poster-0.jpeg', 'j/thumbnail-1.webp', 'j/thumbnail-2.jpeg']);
  });
});

describe('signedQueryConfig', () => {
  it('adds a signed playlist\'s query to the requests hls.js makes for its relative URIs', () => {
    const config = signedQueryConfig('https://d1.cloudfront.net/job-1/hls/master.m3u8?Policy=p&Signature=s&Key-Pair-Id=k')!;
    const opened: string[] = [];
    const xhr = { open: (_method: string, url: string) => opened.push(url) } as unknown as Parameters<NonNullable<typeof config.xhrSetup>>[0];
    config.xhrSetup!(xhr, 'https://d1.cloudfront.net/job-1/hls/480p/segment-1.m4s', {} as never);
    config.xhrSetup!(xhr, 'https://d1.cloudfront.net/job-1/hls/480p/index.m3u8?Policy=p&Signature=s&Key-Pair-Id=k', {} as never);
    expect(opened).toEqual(['https://d1.cloudfront.net/job-1/hls/480p/segment-1.m4s?Policy=p&Signature=s&Key-Pair-Id=k']);
  });

  it('leaves unsigned playback alone', () => {
    expect(signedQueryConfig('http://127.0.0.1:9704/play/tok/job-1/hls/master.m3u8')).toBeUndefined();
  });
});

describe('signedStoryboardVtt', () => {
  const vtt = 'WEBVTT\n\n00:00.000 --> 00:05.000\n00.jpg#xywh=0,0,160,90\n\n00:05.000 --> 00:10.000\n00.jpg#xywh=160,0,160,90\n';

  it("gives a signed storyboard's sprites the signature (the seek bar's previews fetch them; CloudFront refuses them unsigned)", () => {
    const signed = signedStoryboardVtt(vtt, 'https://d1.cloudfront.net/job-1/storyboard/storyboard.vtt?Policy=p&Signature=s&Key-Pair-Id=k')!;
    expect(parseStoryboardVtt(signed).map((cue) => [cue.url, cue.x, cue.startSeconds, cue.endSeconds])).toEqual([
      ['https://d1.cloudfront.net/job-1/storyboard/00.jpg?Policy=p&Signature=s&Key-Pair-Id=k', 0, 0, 5],
      ['https://d1.cloudfront.net/job-1/storyboard/00.jpg?Policy=p&Signature=s&Key-Pair-Id=k', 160, 5, 10],
    ]);
  });

  it('leaves unsigned storyboards alone', () => {
    expect(signedStoryboardVtt(vtt, 'http://127.0.0.1:9704/play/tok/job-1/storyboard/storyboard.vtt')).toBeUndefined();
  });
});
