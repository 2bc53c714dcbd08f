import { expect, it } from 'vitest';
import { inputFormatFixture, type InputFormatFixtureName } from '../../fixtures/input-formats.ts';
import { sniffMediaType } from '../../shared/media/sniff-media-type.ts';
import { readHead } from '../support/read-head.ts';

// The synthetic heads are in test/unit/sniff-media-type.test.ts; these fixtures are made with ffmpeg.
it.each<[InputFormatFixtureName, unknown]>([
  // sharp writes the first IFD after the pixels, ~34 KB in: file-type alone gives up on it.
  ['large.tiff', { mediaType: 'image', format: 'tiff', mime: 'image/tiff' }],
  ['broadcast.m2t', { mediaType: 'video', format: 'mpegts', mime: 'video/mp2t' }],
  ['camcorder.m2ts', { mediaType: 'video', format: 'm2ts', mime: 'video/mp2t' }],
  ['phone.heic', { mediaType: 'image', format: 'heic', mime: 'image/heic' }],
  ['pixel-flood.heic', { mediaType: 'image', format: 'heic', mime: 'image/heic' }],
  ['lying-header.jpg', { mediaType: 'image', format: 'jpeg', mime: 'image/jpeg' }],
])('sniffs the real-world fixture %s', async (name, expected) => {
  const head = await readHead(await inputFormatFixture(name));

  expect(await sniffMediaType(head)).toEqual(expected);
});

