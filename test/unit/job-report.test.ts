import { describe, expect, it } from 'vitest';
import { describeManifest, describeProgress } from '../../infra/cli/job-report.ts';
import { Manifest } from '../../shared/contracts/manifest.ts';

const manifest = Manifest.parse({
  schemaVersion: 1,
  jobId: 'talk-0123456789abcdef0123',
  status: 'succeeded',
  source: { bucket: 'fanout-input', key: 'talk.mov', size: 1000 },
  renditions: [],
  // The splitter started 19 s after the upload; the work took 25 s.
  timings: { uploadedAt: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:01.000Z', finishedAt: '2026-01-01T00:00:44.000Z', totalMs: 44_000, queuedMs: 19_000, splitMs: 1000, assembleMs: 2000, steps: [] },
});

describe('describeManifest', () => {
  it('counts from the upload, the queue wait apart from the work', () => {
    expect(describeManifest(manifest, 'out').split('\n')[0]).toBe('✔ job talk-0123456789abcdef0123 succeeded 44.0 s after the upload (19.0 s queued, 25.0 s of work)');
  });

  it('says what its time covers when the event had no time', () => {
    const { uploadedAt: _, ...timings } = manifest.timings;
    expect(describeManifest({ ...manifest, timings }, 'out').split('\n')[0]).toBe('✔ job talk-0123456789abcdef0123 succeeded 44.0 s after its event was received (19.0 s queued, 25.0 s of work)');
  });
});

describe('describeProgress', () => {
  const none = { done: 0, total: 0 };
  it.each([
    [{ phase: 'queued', probes: none, chunks: none, audio: none, stills: none, sinceUploadMs: 3200 }, 'queued, waiting for the splitter', 'queued, waiting for the splitter · 3.2 s since the upload'],
    [
      { phase: 'encoding', probes: none, chunks: { done: 2, total: 8 }, audio: { done: 0, total: 1 }, stills: { done: 6, total: 6 }, sinceUploadMs: 14_000 },
      'encoding · chunks 2/8 · audio 0/1 · stills 6/6',
      'encoding · chunks 2/8 · audio 0/1 · stills 6/6 · 14.0 s since the upload',
    ],
    [
      { phase: 'encoding', probes: { done: 5, total: 8 }, chunks: { done: 0, total: 8 }, audio: { done: 1, total: 1 }, stills: none, sinceUploadMs: 9000 },
      'encoding · CRF searches 5/8 · chunks 0/8 · audio 1/1',
      'encoding · CRF searches 5/8 · chunks 0/8 · audio 1/1 · 9.0 s since the upload',
    ],
    [{ phase: 'assembling', probes: none, chunks: none, audio: none, stills: { done: 3, total: 3 }, sinceUploadMs: 5000 }, 'assembling · stills 3/3', 'assembling · stills 3/3 · 5.0 s since the upload'],
  ] as const)('%j', (progress, milestone, label) => {
    expect(describeProgress(progress)).toEqual({ milestone, label });
  });
});
