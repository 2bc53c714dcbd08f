import { describe, expect, it } from 'vitest';
import { jobIdFor } from '../../shared/job-id.ts';

const upload = { bucket: 'in', key: 'photos/Summer Trip.JPG', etag: 'abc123' };

describe('jobIdFor', () => {
  it('is stable for the same upload identity', () => {
    expect(jobIdFor(upload)).toBe(jobIdFor({ ...upload }));
    expect(jobIdFor(upload)).toBe('summer-trip-' + jobIdFor(upload).split('-').pop());
  });

  it.each([
    ['another bucket', { bucket: 'other' }],
    ['another key', { key: 'photos/summer trip.jpg' }],
    ['another ETag', { etag: 'def456' }],
    ['a version id', { versionId: 'v2' }],
  ])('changes with %s', (_label, change) => {
    expect(jobIdFor({ ...upload, ...change })).not.toBe(jobIdFor(upload));
  });

  it.each(['../../etc/passwd', 'a/b/ünïcødé 名前.png', '....', '', 'x'.repeat(500) + '.jpg', 'con\u0000trol.jpg'])(
    'is a safe execution name and S3 prefix for the key %j',
    (key) => {
      const id = jobIdFor({ ...upload, key });
      expect(id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
      expect(id.length).toBeLessThanOrEqual(80);
    },
  );
});
