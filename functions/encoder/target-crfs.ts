/**
 * Target mode in the encoder. A probe task searches one chunk's CRF per rung with probe encodes
 * and writes the search (keys.crfSearch); every probe task ends before any chunk is encoded (the
 * state machine's probe Map). A chunk task then reads the searches of its smoothing window and
 * encodes each rung at its smoothed CRF: the same pure smoothing each chunk task computes for
 * itself, so neighbours agree without talking to each other.
 */
import { join } from 'node:path';
import { CrfSearchReport } from '../../shared/contracts/quality.ts';
import type { MediaPlan, Rung } from '../../shared/contracts/work-plan.ts';
import { InternalError, TransientError } from '../../shared/errors.ts';
import { keys } from '../../shared/keys.ts';
import { childrenCpuMs } from '../../shared/media/ffmpeg/children-cpu.ts';
import { INTERMEDIATE_FORMAT } from '../../shared/media/ffmpeg/intermediate-format.ts';
import { chunkKeyframeSeconds } from '../../shared/media/ffmpeg/encode-chunk.ts';
import { probeSearch } from '../../shared/media/ffmpeg/probe-encode.ts';
import { CRF_SEARCH, runCrfSearchRounds } from '../../shared/quality/crf-search.ts';
import { shotStartsOf, smoothedCrfAt, smoothingWindow } from '../../shared/quality/smooth-crfs.ts';
import type { EncoderDependencies } from './run-encode-task.ts';

/** The probe task: every rung of chunk `index`, searched; the search written for the chunk tasks. */
export async function searchChunkCrfs(plan: MediaPlan, index: number, workDir: string, { store, workBucket, ffmpegThreads }: EncoderDependencies): Promise<CrfSearchReport> {
  const target = plan.qualityTarget;
  if (!target) throw new InternalError('INTERNAL', `a probe task needs a quality target, and the plan of ${plan.jobId} has none`);
  const chunk = plan.chunks[index];
  if (!chunk) throw new InternalError('INTERNAL', `chunk ${index} is not in the plan of ${plan.jobId} (${plan.chunks.length} chunks)`);
  const cpuBefore = childrenCpuMs();
  const segmentPath = join(workDir, `segment.${INTERMEDIATE_FORMAT.extension}`);
  await store.download({ bucket: workBucket, key: keys.segment(plan.jobId, index, INTERMEDIATE_FORMAT.extension) }, segmentPath);
  const threads = ffmpegThreads ?? 0;
  const probe = probeSearch({
    segmentPath,
    startSeconds: chunk.startSeconds,
    ...(chunk.endSeconds === undefined ? {} : { endSeconds: chunk.endSeconds }),
    chunkFrames: chunk.frames,
    durationSeconds: chunk.durationSeconds,
    gopSeconds: plan.gopSeconds,
    keyframeSeconds: chunkKeyframeSeconds(plan.sceneCuts, chunk),
    rotation: plan.rotation,
    deinterlace: plan.deinterlace,
    rungs: plan.rungs,
    preset: plan.preset,
    metric: target.metric,
    workDir,
    threads,
  });
  // Every rung in lockstep: a round is one process encoding every probe (the first: the sample's decode), one scoring them all.
  const found = await runCrfSearchRounds({ target: target.value, startCrfs: plan.rungs.map((rung) => rung.crf), maxratesKbps: plan.rungs.map((rung) => rung.maxrateKbps) }, async (probes) =>
    (await probe(probes.map(({ rung, crf }) => ({ rung: plan.rungs[rung]!, crf })))).map((score) => ({ score: score.mean, kbps: score.kbps })),
  );
  const rungs = plan.rungs.map((rung, index) => ({ rung: rung.name, crf: found[index]!.crf, probes: found[index]!.probes, reached: found[index]!.reached }));
  const report = CrfSearchReport.parse({ index, target, rungs, searchCpuMs: Math.max(0, childrenCpuMs() - cpuBefore) });
  await store.putJson({ bucket: workBucket, key: keys.crfSearch(plan.jobId, index) }, report);
  return report;
}

/**
 * The plan's rungs with chunk `index`'s smoothed CRFs (target mode), or as planned (no target).
 * The VBV cap (maxrate, bufsize) stays: a CRF low enough for the target never buys more than the cap.
 */
export async function rungsForChunk(plan: MediaPlan, index: number, { store, workBucket }: Pick<EncoderDependencies, 'store' | 'workBucket'>): Promise<Rung[]> {
  if (!plan.qualityTarget) return plan.rungs;
  const shotStarts = shotStartsOf(plan.chunks, plan.sceneCuts);
  const { from, to } = smoothingWindow({ index, count: plan.chunks.length, shotStarts, minCrf: CRF_SEARCH.minCrf, maxCrf: CRF_SEARCH.maxCrf });
  const searches = await Promise.all(
    Array.from({ length: to - from + 1 }, async (_, offset) => {
      const key = keys.crfSearch(plan.jobId, from + offset);
      const search = await store.getJson({ bucket: workBucket, key });
      // Every probe task ends before any chunk task starts (the probe Map), so a missing search is
      // a write not yet seen or a probe task's retry in flight: worth a retry, not a schema error.
      if (search === undefined) throw new TransientError('STORAGE_UNAVAILABLE', `no CRF search for chunk ${from + offset} (${key}) in ${workBucket}: chunk ${index} smooths its CRFs over chunks ${from}–${to}, and each probe task writes its chunk's search before any chunk is encoded`);
      return CrfSearchReport.parse(search);
    }),
  );
  return plan.rungs.map((rung) => {
    const crfs: number[] = [];
    for (const search of searches) {
      const found = search.rungs.find((searched) => searched.rung === rung.name);
      if (!found) throw new InternalError('INTERNAL', `the CRF search of chunk ${search.index} has no rung ${rung.name}`);
      crfs[search.index] = found.crf;
    }
    return { ...rung, crf: smoothedCrfAt({ crfs, shotStarts, index }) };
  });
}
