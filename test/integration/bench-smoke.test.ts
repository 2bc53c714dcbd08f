/**
 * `npm run bench -- --quick --seconds 4` end to end: a real MinIO, the real pipeline, the one
 * ffmpeg command, the image loop, and the quality comparison on one tiny corpus title (fixed
 * ladder and target mode). Checks it ends and writes a well-formed report; the figures
 * themselves are the benchmark's business, not a test's.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchRecord, BenchSummaries } from '../../bench/bench-report.ts';
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
  it('ends and writes the report as Markdown and JSON', { timeout: 540_000 }, async () => {
    const { stdout } = await run(process.execPath, [entry, '--quick', '--seconds', '4', '--images', '2', '--titles', 'slides', '--corpus-seconds', '2', '--corpus-height', '360', '--out', outDir], { maxBuffer: 16 * 1024 * 1024, timeout: 530_000 });

    const markdown = await readFile(join(outDir, 'bench-report.md'), 'utf8');
    const json = JSON.parse(await readFile(join(outDir, 'bench-report.json'), 'utf8')) as BenchRecord & { summary: BenchSummaries };
    expect(stdout).toBe(markdown);
    expect(markdown).toMatch(/^# Fanout benchmark/);
    for (const measure of ['wall time', 'CPU-seconds', 'peak RSS', 'orchestration per chunk', 'critical path', 'cost per minute', 'images per second']) {
      expect(markdown).toContain(`| ${measure}`);
    }
    expect(json.sources.map((source) => source.sourceSeconds)).toEqual([4]);
    const [source] = json.sources;
    expect(source!.rounds).toHaveLength(1);
    // B wrote what A writes: HLS segments, the stills, a storyboard sprite.
    expect(source!.rounds[0]!.b.extras).toMatchObject({ hlsSegments: expect.any(Number), stills: expect.any(Number), storyboardSprites: 1 });
    expect(source!.rounds[0]!.b.extras!.hlsSegments).toBeGreaterThan(0);
    expect(source!.rounds[0]!.b.extras!.stills).toBeGreaterThan(0);
    expect(json.meta.versions.ffmpeg).toMatch(/^\d/);
    expect(json.meta.cores).toBeGreaterThan(0);
    expect(source!.quality.map((rung) => rung.rung)).toEqual(['1080p', '720p', '480p', '360p']);
    const [summary] = json.summary.sources;
    for (const rung of summary!.rungs) {
      expect(rung.psnrA).toBeGreaterThan(30);
      expect(rung.bytesA).toBeGreaterThan(0);
    }
    expect(summary!.chunks).toBe(1);
    expect(summary!.wallRatio).toBeGreaterThan(0);
    expect(summary!.cpuA).toBeGreaterThan(0);
    expect(summary!.cpuB).toBeGreaterThan(0);
    expect(json.images?.outputsPerImage).toBeGreaterThan(0);

    // The quality comparison: the fixed ladder measured by the bench; the target mode either
    // measured too or "n/a" with its reason (before target mode is merged).
    expect(markdown).toContain('## Quality: fixed ladder vs target mode (ssim:0.98)');
    const [title] = json.corpus!.titles;
    expect(title!.name).toBe('slides');
    expect(title!.fixed.rungs.map((rung) => rung.rung)).toEqual(['360p']);
    for (const rung of title!.fixed.rungs) {
      expect(rung.bytes).toBeGreaterThan(0);
      expect(rung.fidelity.worstWindow).toBeGreaterThan(0.5);
      expect(rung.fidelity.worstWindow).toBeLessThanOrEqual(1);
      expect(rung.viewed.frames).toBe(60);
    }
    if ('unavailable' in title!.target) expect(markdown).toContain(`n/a: ${title!.target.unavailable}`);
    else expect(title!.target.ladder?.mode).toBe('target');
  });
});
