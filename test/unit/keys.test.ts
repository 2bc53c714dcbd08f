import { describe, expect, it } from 'vitest';
import { keys } from '../../shared/keys.ts';

describe('keys.jobOfManifest', () => {
  it('reads the job back from its manifest key, and nothing from any other key', () => {
    expect(keys.jobOfManifest(keys.manifest('clip-0123456789abcdef0123'))).toBe('clip-0123456789abcdef0123');
    expect(keys.jobOfManifest(keys.videoRendition('clip-0123', '720p'))).toBeUndefined();
    expect(keys.jobOfManifest('clip/hls/manifest.json')).toBeUndefined();
    expect(keys.jobOfManifest('/manifest.json')).toBeUndefined();
    expect(keys.jobOfManifest('manifest.json')).toBeUndefined();
  });
});
