/** Human-readable views of a job's manifest, for the terminal. */
import type { JobCost, Manifest } from '../../shared/contracts/manifest.ts';
import { keys } from '../../shared/keys.ts';
import { formatBytes } from '../../shared/format-bytes.ts';
import { PROGRESS_STEPS, type JobProgress, type ProgressStep } from '../../shared/summarize-progress.ts';

const symbol = { succeeded: '✔', rejected: '✖', failed: '✖' } as const;

/** The job's end in words: its time counted from the upload, the queue wait apart from the work (the manifest's own timings). */
export function describeManifest(manifest: Manifest, whereRenditionsAre: string): string {
  const { source, timings } = manifest;
  const lines = [
    `${symbol[manifest.status]} job ${manifest.jobId} ${manifest.status} ${describeDuration(timings)}`,
    `  source      s3://${source.bucket}/${source.key} (${formatBytes(source.size)}${source.format ? `, ${source.format}` : ''}${source.width ? ` ${source.width}×${source.height}` : ''})`,
  ];
  if (manifest.error) lines.push(`  error       ${manifest.error.code}: ${manifest.error.message}`);
  if (manifest.renditions.length > 0) {
    lines.push(`  renditions  ${manifest.renditions.length}, in ${whereRenditionsAre}`);
    for (const rendition of manifest.renditions) {
      lines.push(`    ${rendition.key.slice(keys.jobPrefix(manifest.jobId).length).padEnd(28)} ${describeRendition(rendition)}`);
    }
  }
  const steps = summarizeSteps(timings.steps);
  lines.push(`  timings     split ${timings.splitMs} ms${steps ? `, ${steps}` : ''}, assemble ${timings.assembleMs} ms`);
  if (manifest.cost) lines.push(`  cost        ${describeCost(manifest.cost)}`);
  return lines.join('\n');
}

/** `$0.000412 (modelled at us-east-1 list prices: 41.2 GB-s of Lambda in 12 invocations, 58 state transitions)`. */
export function describeCost(cost: JobCost): string {
  const { lambda, stepFunctions } = cost;
  const gbSeconds = lambda.gbSeconds.toFixed(lambda.gbSeconds < 1 ? 3 : 1);
  const invocations = `${lambda.invocations} invocation${lambda.invocations === 1 ? '' : 's'}`;
  return `$${cost.totalUsd.toFixed(6)} (${cost.basis} at ${cost.prices.region} list prices: ${gbSeconds} GB-s of Lambda in ${invocations}, ${stepFunctions.transitions} state transitions)`;
}

export function describeJobList(rows: Array<{ jobId: string; status: string; source: string; renditions: number | string; finishedAt: string }>): string {
  if (rows.length === 0) return 'no jobs yet: upload a file with `npx fanout upload <file>`';
  const header = ['JOB', 'STATUS', 'RENDITIONS', 'FINISHED', 'SOURCE'];
  const table = [header, ...rows.map((row) => [row.jobId, row.status, String(row.renditions), row.finishedAt, row.source])];
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  return table.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

function describeDuration(timings: Manifest['timings']): string {
  const since = timings.uploadedAt ? 'the upload' : 'its event was received';
  return `${formatSeconds(timings.totalMs)} after ${since} (${formatSeconds(timings.queuedMs)} queued, ${formatSeconds(timings.totalMs - timings.queuedMs)} of work)`;
}

/** A step as the progress line names it. */
const STEP_WORDS: Record<ProgressStep, string> = { probes: 'CRF searches', chunks: 'chunks', audio: 'audio', stills: 'stills' };

const phaseWords: Record<JobProgress['phase'], string> = {
  queued: 'queued, waiting for the splitter',
  splitting: 'splitting',
  encoding: 'encoding',
  assembling: 'assembling',
  done: 'ended',
};

/**
 * One line of progress: the phase, each step's count on its own, the time since `since`.
 * `milestone` is the same line without the time, for logs that print a line per change.
 */
export function describeProgress(progress: JobProgress, since = 'the upload'): { label: string; milestone: string } {
  const steps = PROGRESS_STEPS.filter((step) => progress[step].total > 0).map((step) => `${STEP_WORDS[step]} ${progress[step].done}/${progress[step].total}`);
  const milestone = [phaseWords[progress.phase], ...steps].join(' · ');
  return { label: `${milestone} · ${formatSeconds(progress.sinceUploadMs)} since ${since}`, milestone };
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function describeRendition(rendition: Manifest['renditions'][number]): string {
  switch (rendition.kind) {
    case 'image':
      return `${`${rendition.width}×${rendition.height}`.padEnd(11)} ${formatBytes(rendition.bytes)}`;
    case 'video':
      return `${`${rendition.width}×${rendition.height}`.padEnd(11)} ${(rendition.bitrateKbps / 1000).toFixed(2)} Mbps, ${rendition.durationSeconds.toFixed(2)} s, ${rendition.frames} frames, ${formatBytes(rendition.bytes)}`;
    case 'audio': {
      const track = rendition.language === undefined ? '' : `${rendition.language}${rendition.default ? ' (default)' : ''}, `;
      return `${track}${rendition.bitrateKbps} kbps, ${rendition.durationSeconds.toFixed(2)} s, ${formatBytes(rendition.bytes)}`;
    }
    case 'hls':
      return `${rendition.variants} variants, ${rendition.segmentSeconds} s segments`;
    case 'subtitles':
      return `${rendition.language}, ${rendition.name}, ${formatBytes(rendition.bytes)}`;
    case 'storyboard':
      return `${rendition.sprites.length} sprite${rendition.sprites.length === 1 ? '' : 's'} of ${rendition.columns}×${rendition.rows} tiles ${rendition.tileWidth}×${rendition.tileHeight}, one per ${rendition.intervalSeconds} s, ${formatBytes(rendition.bytes)}`;
  }
}

/** Many chunks would flood a terminal: per kind of step, the count, the slowest and the sum. */
function summarizeSteps(steps: Manifest['timings']['steps']): string {
  const byStep = new Map<string, number[]>();
  for (const step of steps) byStep.set(step.step, [...(byStep.get(step.step) ?? []), step.ms]);
  return [...byStep]
    .map(([step, times]) => (times.length === 1 ? `${step} ${times[0]} ms` : `${step} ×${times.length} (slowest ${Math.max(...times)} ms, sum ${times.reduce((a, b) => a + b, 0)} ms)`))
    .join(', ');
}
