import { defineConfig } from 'vitest/config';

/**
 * The unit tier: pure modules and in-memory ports, no ffmpeg, no MinIO, so no global setup (it
 * generates the video fixtures with ffmpeg). `npm run test:unit` runs it alone, anywhere.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    maxWorkers: 2,
    testTimeout: 30_000,
    // Synthesizing the CDK app (observability.test.ts's beforeAll) takes over 10 s on a busy 2-core machine.
    hookTimeout: 60_000,
  },
});
