/**
 * `npm run bench -- --quick --seconds 4` end to end: a real MinIO, the real pipeline, one
 * ffmpeg ladder, the image loop. Checks it ends and writes a well-formed report; the figures
 * themselves are the benchmark's business, not a test's.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchRecord, BenchSummary } from '../../bench/bench-report.ts';
import type { runBench } from '../../bench/run-bench.ts';

const run = promisify(execFile);
const entry = fileURLToPath(new URL('../../bench/run-bench.ts', import.meta.url));
const outDir = await mkdtemp(join(tmpdir(), 'fanout-bench-smoke-'));
// The entry point runs as `npm run bench` runs it; this keeps its exports under the typecheck.
export type RunBench = typeof runBench;

afterAll(() => rm(outDir, { recursive: true, force: true }));

// Like every MinIO and ffmpeg suite, this one fails rather than skips where they are missing:
// .ci/run installs both.
describe('npm run bench -- --quick --seconds 4', () => {
  it('ends and writes the report as Markdown and JSON', { timeout: 240_000 }, async () => {
    const { stdout } = await run(process.execPath, [entry, '--quick', '--seconds', '4', '--images', '2', '--out', outDir], { maxBuffer: 16 * 1024 * 1024, timeout: 230_000 });

    const markdown = await readFile(join(outDir, 'bench-report.md'), 'utf8');
    const json = JSON.parse(await readFile(join(outDir, 'bench-report.json'), 'utf8')) as BenchRecord & { summary: BenchSummary };
    expect(stdout).toBe(markdown);
    expect(markdown).toMatch(/^# Fanout benchmark/);
    for (const measure of ['wall time', 'CPU-seconds', 'peak RSS', 'orchestration per chunk', 'critical path', 'cost per minute', 'images per second']) {
      expect(markdown).toContain(`| ${measure}`);
    }
    expect(json.rounds).toHaveLength(1);
    expect(json.meta.versions.ffmpeg).toMatch(/^\d/);
    expect(json.meta.cores).toBeGreaterThan(0);
    expect(json.quality.map((rung) => rung.rung)).toEqual(['1080p', '720p', '480p', '360p']);
    for (const rung of json.summary.rungs) {
      expect(rung.psnrA).toBeGreaterThan(30);
      expect(rung.bytesA).toBeGreaterThan(0);
    }
    expect(json.summary.wallRatio).toBeGreaterThan(0);
    expect(json.summary.cpuA).toBeGreaterThan(0);
    expect(json.summary.cpuB).toBeGreaterThan(0);
    expect(json.images?.outputsPerImage).toBeGreaterThan(0);
  });
});
