import { describe, expect, it } from 'vitest';
import { EncodeTask } from '../../shared/contracts/work-plan.ts';
import { parseEvent } from '../../shared/contracts/parse-event.ts';
import { decodeS3Key, s3EventFor, uploadsIn } from '../../shared/contracts/upload-event.ts';
import { InternalError } from '../../shared/errors.ts';

const eventFor = (key: string, extra: Record<string, unknown> = {}) => ({
  Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'in' }, object: { key, size: 10, eTag: '"abc"', ...extra } } }],
});

describe('uploadsIn', () => {
  it.each([
    ['my+photo.jpg', 'my photo.jpg'],
    ['my%20photo.jpg', 'my photo.jpg'],
    ['a%2Bb.jpg', 'a+b.jpg'],
    ['%C3%BCn%C3%AF/%C3%A7%C3%B8d%C3%A9.png', 'ünï/çødé.png'],
    ['folder/sub/file.jpg', 'folder/sub/file.jpg'],
  ])('decodes the key %s once, to %s', (encoded, decoded) => {
    expect(uploadsIn(eventFor(encoded))[0]?.key).toBe(decoded);
  });

  it('strips the quotes S3 sometimes puts around an ETag and drops an empty version id', () => {
    expect(uploadsIn(eventFor('a.jpg', { versionId: '' }))[0]).toEqual({ bucket: 'in', key: 'a.jpg', size: 10, etag: 'abc', versionId: undefined });
  });

  it('keeps only ObjectCreated records, in the S3 and the MinIO spelling', () => {
    const event = {
      Records: [
        { eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: 'in' }, object: { key: 'gone.jpg' } } },
        { eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'in' }, object: { key: 'new.jpg', size: 1 } } },
      ],
    };
    expect(uploadsIn(event).map((upload) => upload.key)).toEqual(['new.jpg']);
  });

  it.each([
    ['no Records', {}],
    ['Records not an array', { Records: 'x' }],
    ['no bucket name', { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: {}, object: { key: 'a' } } }] }],
    ['empty key', { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: '' } } }] }],
    ['negative size', { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'a', size: -1 } } }] }],
    ['not an object', 'hello'],
  ])('rejects a malformed event: %s', (_label, event) => {
    expect(() => uploadsIn(event)).toThrow();
  });

  it('round-trips a key with spaces, plus signs, slashes and unicode through s3EventFor', () => {
    const key = 'dir/ä b+c/é.jpg';
    expect(uploadsIn(s3EventFor({ bucket: 'in', key, size: 3, etag: 'e' }))[0]?.key).toBe(key);
  });

  it('decodeS3Key treats + as a space and %2B as a plus', () => {
    expect(decodeS3Key('a+b%2Bc')).toBe('a b+c');
  });

  it('refuses an event of another shape with INTERNAL, naming the field, not a bare ZodError', () => {
    const error = (() => {
      try {
        uploadsIn({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'in' } } }] });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(InternalError);
    expect(error).toMatchObject({ code: 'INTERNAL', retryable: false });
    expect((error as InternalError).detail).toMatch(/^an S3 upload event does not match its contract:[\s\S]*object/);
  });
});

describe('parseEvent', () => {
  it('returns the parsed event, and throws INTERNAL naming what was expected', () => {
    expect(parseEvent(EncodeTask, { kind: 'chunk', jobId: 'j', index: 3 }, 'an encode task')).toEqual({ kind: 'chunk', jobId: 'j', index: 3 });
    expect(() => parseEvent(EncodeTask, { kind: 'chunk', jobId: 'j', index: -1 }, 'an encode task')).toThrow(/^INTERNAL: an encode task does not match its contract:[\s\S]*index/);
  });
});
