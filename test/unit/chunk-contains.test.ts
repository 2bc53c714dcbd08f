/**
 * chunkContains on the boundary between two chunks (review): every frame time is in exactly one
 * of them, also one exactly at the tolerance under the boundary, where `<` and `<=` differ.
 */
import { describe, expect, it } from 'vitest';
import { BOUNDARY_TOLERANCE_SECONDS, chunkContains } from '../../shared/media/ffmpeg/chunk-frames.ts';

describe('chunkContains between adjacent chunks', () => {
  it.each([2, 4.004, 0.6, 12.512])('puts every frame time near a boundary at %s s in one chunk, never both, never neither', (boundary) => {
    const before = { startSeconds: 0, endSeconds: boundary };
    const after = { startSeconds: boundary, endSeconds: boundary + 4 };
    const times = [boundary - BOUNDARY_TOLERANCE_SECONDS, boundary - 2 * BOUNDARY_TOLERANCE_SECONDS, boundary - BOUNDARY_TOLERANCE_SECONDS / 2, boundary, boundary - 1 / 30, boundary + 1 / 30];
    for (const time of times) expect([chunkContains(before, time), chunkContains(after, time)].filter(Boolean), `${time} s`).toHaveLength(1);
  });
});
