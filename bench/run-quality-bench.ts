/**
 * The quality comparison: every corpus title through the pipeline twice, on two local stacks
 * that differ only in the splitter's QUALITY_TARGET (unset: the fixed ladder; set: target mode),
 * then the bench's own SSIM of every rung against the title's master. The work bucket keeps old
 * versions on these stacks (bench-only), so the encoder's chunk reports and CRF searches can be
 * read after the assembler has cleaned up: they hold the CPU each part took.
 */
import { GetObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../infra/local/local-stack.ts';
import { ChunkReport, CrfSearchReport, type QualityTarget } from '../shared/contracts/quality.ts';
import { keys } from '../shared/keys.ts';
import { RENDITION_PROFILE } from '../shared/rendition-profile.ts';
import { measureRungSsim } from './measure-ssim.ts';
import { startTreeWindow } from './proc-tree.ts';
import { corpusSource, type CorpusSize, type CorpusTitle } from './quality-corpus.ts';
import type { ModeRecord, QualityCorpusRecord, TitleRecord, WorkReports } from './quality-report.ts';
import { downloadVideoRenditions, runPipelineJob } from './run-pipeline-job.ts';

export interface QualityBenchOptions {
  titles: readonly CorpusTitle[];
  size: CorpusSize;
  target: QualityTarget;
  concurrency: number;
  label: string;
  log: (line: string) => void;
}

export async function runQualityBench(options: QualityBenchOptions): Promise<QualityCorpusRecord> {
  const { titles, size, target, log } = options;
  const sources = new Map<string, string>();
  for (const title of titles) {
    log(`corpus: ${title.name} (generated on first use)`);
    sources.set(title.name, await corpusSource(title, size));
  }
  const windowSeconds = RENDITION_PROFILE.chunkSeconds;
  const fixed = await runMode({ ...options, sources, windowSeconds, qualityTarget: undefined });
  const targeted = await runMode({ ...options, sources, windowSeconds, qualityTarget: `${target.metric}:${target.value}` });
  return {
    target,
    width: size.width,
    height: size.height,
    fps: size.fps,
    seconds: size.seconds,
    windowSeconds,
    titles: titles.map((title): TitleRecord => {
      const fixedRun = fixed.get(title.name)!;
      const targetRun = targeted.get(title.name)!;
      return {
        name: title.name,
        easy: title.easy,
        description: title.description,
        fixed: 'unavailable' in fixedRun ? failedFixed(fixedRun.unavailable) : fixedRun,
        target: 'unavailable' in targetRun ? targetRun : targetModeOf(targetRun),
      };
    }),
  };
}

/** The fixed ladder is the bench's baseline: without it there is nothing to compare. */
function failedFixed(why: string): never {
  throw new Error(`corpus: the fixed ladder failed: ${why}`);
}

/** A target job that came back without `ladder.mode: target` ran the fixed ladder: the mode is not there (yet). */
function targetModeOf(run: ModeRecord): ModeRecord | { unavailable: string } {
  if (run.ladder?.mode === 'target') return run;
  return { unavailable: `the pipeline ignored QUALITY_TARGET (manifest ladder.mode is ${run.ladder ? run.ladder.mode : 'absent'}): target mode not merged` };
}

async function runMode(options: QualityBenchOptions & { sources: Map<string, string>; windowSeconds: number; qualityTarget: string | undefined }): Promise<Map<string, ModeRecord | { unavailable: string }>> {
  const { titles, size, concurrency, label, log, sources, windowSeconds, qualityTarget } = options;
  const mode = qualityTarget ? 'target' : 'fixed';
  const stateDir = await mkdtemp(join(tmpdir(), `fanout-bench-quality-${mode}-`));
  const workDir = await mkdtemp(join(tmpdir(), `fanout-bench-ssim-`));
  const stack = await startLocalStack({ stateDir, storage: 'minio', concurrency, ...(qualityTarget ? { functionEnvironment: { splitter: { QUALITY_TARGET: qualityTarget } } } : {}) });
  const results = new Map<string, ModeRecord | { unavailable: string }>();
  try {
    await stack.s3.send(new PutBucketVersioningCommand({ Bucket: stack.deployment.buckets.work, VersioningConfiguration: { Status: 'Enabled' } }));
    for (const title of titles) {
      const sourcePath = sources.get(title.name)!;
      const window = startTreeWindow();
      let job: Awaited<ReturnType<typeof runPipelineJob>>;
      try {
        job = await runPipelineJob(stack, await readFile(sourcePath), `bench/${label}/${mode}/${title.name}.mp4`);
      } catch (error) {
        window.stop();
        results.set(title.name, { unavailable: `the job did not succeed: ${error instanceof Error ? error.message : String(error)}` });
        log(`corpus ${mode} ${title.name}: failed`);
        continue;
      }
      await stack.idle();
      const tree = window.stop();
      const outputs = await downloadVideoRenditions(stack, job.manifest);
      const rungs: ModeRecord['rungs'] = [];
      for (const rendition of job.manifest.renditions) {
        if (rendition.kind !== 'video') continue;
        const output = outputs[rendition.rung]!;
        const measured = await measureRungSsim({ sourcePath, source: { width: size.width, height: size.height }, rung: output, windowFrames: Math.round(windowSeconds * size.fps), workDir });
        await rm(output.path, { force: true });
        rungs.push({
          rung: rendition.rung,
          width: rendition.width,
          height: rendition.height,
          bytes: rendition.bytes,
          bitrateKbps: rendition.bitrateKbps,
          ...(rendition.crfs ? { crfs: rendition.crfs } : {}),
          ...(rendition.quality ? { quality: rendition.quality } : {}),
          ...measured,
        });
      }
      results.set(title.name, { wallMs: job.manifestMs - job.startMs, cpuSeconds: tree.cpuSeconds, rungs, ...(job.manifest.ladder ? { ladder: job.manifest.ladder } : {}), work: await readWorkReports(stack, job.jobId) });
      log(`corpus ${mode} ${title.name}: ${rungs.map((rung) => `${rung.rung} ${rung.bytes} B ssim ${rung.fidelity.worstWindow.toFixed(4)}`).join(', ')}`);
    }
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  }
  return results;
}

/** The encoder's reports of one job, from the work bucket's versions (the assembler deleted the current ones). */
async function readWorkReports(stack: LocalStack, jobId: string): Promise<WorkReports> {
  const bucket = stack.deployment.buckets.work;
  const read = async (prefix: string) => {
    const listed = await stack.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
    // Newest first per key: a retried task's older report is not counted twice.
    const newest = [...new Map((listed.Versions ?? []).map((version) => [version.Key, version] as const).reverse()).values()];
    return Promise.all(
      newest.map(async (version) => {
        const object = await stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: version.Key, VersionId: version.VersionId }));
        return JSON.parse(await object.Body!.transformToString()) as unknown;
      }),
    );
  };
  const reportPrefix = keys.chunkReport(jobId, 0).replace(/[^/]+$/, '');
  const searchPrefix = keys.crfSearch(jobId, 0).replace(/[^/]+$/, '');
  const reports = (await read(reportPrefix)).map((body) => ChunkReport.parse(body));
  const searches = (await read(searchPrefix)).map((body) => CrfSearchReport.parse(body));
  return {
    chunkReports: reports.length,
    crfSearches: searches.length,
    encodeCpuMs: reports.reduce((sum, report) => sum + report.encodeCpuMs, 0),
    measureCpuMs: reports.reduce((sum, report) => sum + report.measureCpuMs, 0),
    searchCpuMs: searches.reduce((sum, search) => sum + search.searchCpuMs, 0),
    unreached: [...new Set(searches.flatMap((search) => search.rungs.filter((rung) => !rung.reached).map((rung) => rung.rung)))],
  };
}
