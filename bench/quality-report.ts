/**
 * The quality comparison's record, its summary and its Markdown: per corpus title, the fixed
 * ladder against the target mode. Pure: the unit test feeds it a recorded corpus.
 *
 * The target mode is read only through the manifest (`quality`, `crfs`, `ladder`) and the
 * encoder's work reports (ChunkReport, CrfSearchReport); where it is not there (not merged, or
 * the job failed), its figures print "n/a" with the reason. Goals are printed, never asserted.
 */
import type { DroppedRung, LadderReport, QualityTarget, RungQuality } from '../shared/contracts/quality.ts';
import type { SsimScore } from './measure-ssim.ts';

export interface RungRecord {
  rung: string;
  width: number;
  height: number;
  bytes: number;
  bitrateKbps: number;
  /** The manifest's, by chunk; absent before the pipeline wrote it. */
  crfs?: number[];
  /** The manifest's own measurement; absent before the pipeline wrote it. */
  quality?: RungQuality;
  /** The bench's SSIM, independent of the pipeline's. */
  fidelity: SsimScore;
  viewed: SsimScore;
}

/** Sums over the encoder's work reports (read from the work bucket's old versions after the job). */
export interface WorkReports {
  chunkReports: number;
  crfSearches: number;
  encodeCpuMs: number;
  measureCpuMs: number;
  searchCpuMs: number;
  /** Rungs whose search did not reach the target in some chunk (the cap, or the CRF range, stopped it). */
  unreached: string[];
}

export interface ModeRecord {
  wallMs: number;
  cpuSeconds: number;
  rungs: RungRecord[];
  ladder?: LadderReport;
  work?: WorkReports;
}

export interface TitleRecord {
  name: string;
  easy: boolean;
  description: string;
  fixed: ModeRecord;
  /** Or why there is none. */
  target: ModeRecord | { unavailable: string };
}

export interface QualityCorpusRecord {
  target: QualityTarget;
  width: number;
  height: number;
  fps: number;
  seconds: number;
  windowSeconds: number;
  titles: TitleRecord[];
}

export const QUALITY_GOALS = {
  easyBytesSaved: 0.3,
  searchCpuShare: 0.3,
  measureCpuShare: 0.15,
} as const;

export type Figure = { value: number } | { na: string };

export interface RungComparison {
  rung: string;
  fixedBytes: number;
  /** The SSIM target this rung of the fixed ladder met: its worst window's fidelity. */
  fixedWouldMeet: number;
  fixedWorst: number;
  target?: { bytes: number; worst: number; crfs?: number[]; belowTarget: boolean; capBound: boolean } | { dropped: DroppedRung };
}

export interface TitleSummary {
  name: string;
  easy: boolean;
  fixedBytes: number;
  targetBytes: Figure;
  bytesSaved: Figure;
  /** Over the rungs the target mode kept at an equal or better worst window than the fixed one. */
  bytesSavedAtEqualOrBetter: Figure & { rungs?: string[] };
  searchCpuSeconds: Figure;
  searchCpuShare: Figure;
  measureCpuShare: Figure;
  /** Target mode's whole-job CPU minus the fixed ladder's. */
  extraCpuSeconds: Figure;
  rungs: RungComparison[];
  belowTarget: string[];
}

const unavailable = (mode: TitleRecord['target']): mode is { unavailable: string } => 'unavailable' in mode;
const totalBytes = (rungs: readonly RungRecord[]) => rungs.reduce((sum, rung) => sum + rung.bytes, 0);

export function summarizeTitle(title: TitleRecord, target: QualityTarget): TitleSummary {
  const fixedBytes = totalBytes(title.fixed.rungs);
  const base = title.fixed.rungs.map((rung) => ({ rung: rung.rung, fixedBytes: rung.bytes, fixedWouldMeet: rung.fidelity.worstWindow, fixedWorst: rung.fidelity.worstWindow }));
  const measureShare = shareOf(title.fixed.work, (work) => work.measureCpuMs, 'no chunk reports in the fixed job (quality measurement not merged)');
  if (unavailable(title.target)) {
    const na = { na: title.target.unavailable };
    return { name: title.name, easy: title.easy, fixedBytes, targetBytes: na, bytesSaved: na, bytesSavedAtEqualOrBetter: na, searchCpuSeconds: na, searchCpuShare: na, measureCpuShare: measureShare, extraCpuSeconds: na, rungs: base, belowTarget: [] };
  }
  const mode = title.target;
  const dropped = mode.ladder?.dropped ?? [];
  const unreached = new Set(mode.work?.unreached ?? []);
  // The bench's SSIM judges an SSIM target; a VMAF target is judged by the manifest's own fidelity.
  const worstFidelity = (rung: RungRecord) => (target.metric === 'ssim' ? rung.fidelity.worstWindow : (rung.quality?.fidelityMin ?? Number.NaN));
  const rungs: RungComparison[] = base.map((fixed) => {
    const kept = mode.rungs.find((rung) => rung.rung === fixed.rung);
    const drop = dropped.find((rung) => rung.rung === fixed.rung);
    if (!kept) return drop ? { ...fixed, target: { dropped: drop } } : fixed;
    const worst = worstFidelity(kept);
    return { ...fixed, target: { bytes: kept.bytes, worst: kept.fidelity.worstWindow, ...(kept.crfs ? { crfs: kept.crfs } : {}), belowTarget: !(worst >= target.value), capBound: unreached.has(kept.rung) } };
  });
  const keptRungs = rungs.filter((rung): rung is RungComparison & { target: { bytes: number; worst: number } } => rung.target !== undefined && 'bytes' in rung.target);
  const targetBytes = totalBytes(mode.rungs);
  const equalOrBetter = keptRungs.filter((rung) => rung.target.worst >= rung.fixedWorst);
  const equalFixed = equalOrBetter.reduce((sum, rung) => sum + rung.fixedBytes, 0);
  const equalTarget = equalOrBetter.reduce((sum, rung) => sum + rung.target.bytes, 0);
  const searchMs = mode.work && mode.work.crfSearches > 0 ? mode.work.searchCpuMs : undefined;
  return {
    name: title.name,
    easy: title.easy,
    fixedBytes,
    targetBytes: { value: targetBytes },
    bytesSaved: { value: 1 - targetBytes / fixedBytes },
    bytesSavedAtEqualOrBetter: equalOrBetter.length > 0 ? { value: 1 - equalTarget / equalFixed, rungs: equalOrBetter.map((rung) => rung.rung) } : { na: 'no rung kept an equal or better worst window' },
    searchCpuSeconds: searchMs === undefined ? { na: 'no CRF search reports in the work bucket' } : { value: searchMs / 1000 },
    searchCpuShare: shareOf(mode.work, (work) => (work.crfSearches > 0 ? work.searchCpuMs : Number.NaN), 'no CRF search or chunk reports in the work bucket'),
    measureCpuShare: measureShare,
    extraCpuSeconds: { value: mode.cpuSeconds - title.fixed.cpuSeconds },
    rungs,
    belowTarget: keptRungs.filter((rung) => 'belowTarget' in rung.target && rung.target.belowTarget && !rung.target.capBound).map((rung) => rung.rung),
  };
}

function shareOf(work: WorkReports | undefined, part: (work: WorkReports) => number, why: string): Figure {
  if (!work || work.chunkReports === 0 || !(work.encodeCpuMs > 0) || !Number.isFinite(part(work))) return { na: why };
  return { value: part(work) / work.encodeCpuMs };
}

const show = (figure: Figure, format: (value: number) => string) => ('value' in figure ? format(figure.value) : 'n/a');
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const ssim = (value: number) => (Number.isFinite(value) ? value.toFixed(4) : 'n/a');
const goal = (figure: Figure, met: (value: number) => boolean) => ('value' in figure ? (met(figure.value) ? 'met' : '**missed**') : 'n/a');

export function formatQualityReport(record: QualityCorpusRecord): string {
  const target = `${record.target.metric}:${record.target.value}`;
  const summaries = record.titles.map((title) => summarizeTitle(title, record.target));
  const reasons = new Map<string, string>();
  const note = (figure: Figure) => ('na' in figure ? reasons.set(figure.na, `n/a: ${figure.na}`) : undefined);
  for (const summary of summaries) [summary.targetBytes, summary.searchCpuShare, summary.measureCpuShare].forEach(note);
  const lines = [
    `## Quality: fixed ladder vs target mode (${target})`,
    '',
    `Generated corpus, ${record.width}×${record.height} ${record.fps} fps, ${record.seconds} s per title. SSIM measured by the bench (ffmpeg's ssim, All), independent of the pipeline's own figures; worst = the worst ${record.windowSeconds} s window (a chunk).`,
    '',
    '| title | fixed bytes | target bytes | saved | saved at equal or better worst (rungs) | search CPU | search / encode CPU | measure / encode CPU | job CPU, target − fixed | below target (cap allowing) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...summaries.map((summary) =>
      [
        `${summary.name}${summary.easy ? ' (easy)' : ''}`,
        String(summary.fixedBytes),
        show(summary.targetBytes, String),
        show(summary.bytesSaved, pct),
        'value' in summary.bytesSavedAtEqualOrBetter ? `${pct(summary.bytesSavedAtEqualOrBetter.value)} (${summary.bytesSavedAtEqualOrBetter.rungs?.join(', ')})` : 'n/a',
        show(summary.searchCpuSeconds, (value) => `${value.toFixed(1)} s`),
        show(summary.searchCpuShare, pct),
        show(summary.measureCpuShare, pct),
        show(summary.extraCpuSeconds, (value) => `${value >= 0 ? '+' : ''}${value.toFixed(1)} s`),
        'value' in summary.targetBytes ? (summary.belowTarget.length > 0 ? summary.belowTarget.join(', ') : 'none') : 'n/a',
      ].join(' | ').replace(/^/, '| ').concat(' |'),
    ),
    '',
    '| title | rung | fixed bytes | fixed worst (the target it meets) | target bytes | target worst | target CRFs | Δ worst |',
    '|---|---|---|---|---|---|---|---|',
    ...summaries.flatMap((summary) =>
      summary.rungs.map((rung) => {
        const kept = rung.target && 'bytes' in rung.target ? rung.target : undefined;
        const dropped = rung.target && 'dropped' in rung.target ? rung.target.dropped : undefined;
        return `| ${summary.name} | ${rung.rung} | ${rung.fixedBytes} | ${ssim(rung.fixedWorst)} (${record.target.metric === 'ssim' ? `ssim:${ssim(rung.fixedWouldMeet)}` : 'ssim'}) | ${kept ? kept.bytes : dropped ? `dropped: ${dropped.reason}` : 'n/a'} | ${kept ? ssim(kept.worst) : 'n/a'} | ${kept?.crfs ? kept.crfs.join(' ') : 'n/a'} | ${kept ? `${kept.worst - rung.fixedWorst >= 0 ? '+' : ''}${(kept.worst - rung.fixedWorst).toFixed(4)}` : 'n/a'} |`;
      }),
    ),
    '',
    '| goal (reported, not asserted) | result |',
    '|---|---|',
    ...summaries.filter((summary) => summary.easy).map((summary) => `| ${summary.name}: ≥ ${pct(QUALITY_GOALS.easyBytesSaved)} fewer bytes at ${target} | ${goal(summary.bytesSaved, (value) => value >= QUALITY_GOALS.easyBytesSaved)} |`),
    `| never below ${target} where the cap allows | ${summaries.every((summary) => 'na' in summary.targetBytes) ? 'n/a' : summaries.some((summary) => summary.belowTarget.length > 0) ? '**missed**' : 'met'} |`,
    ...summaries.map((summary) => `| ${summary.name}: search CPU ≤ ${pct(QUALITY_GOALS.searchCpuShare)} of the encode's | ${goal(summary.searchCpuShare, (value) => value <= QUALITY_GOALS.searchCpuShare)} |`),
    ...summaries.map((summary) => `| ${summary.name}: measurement CPU ≤ ${pct(QUALITY_GOALS.measureCpuShare)} of the encode's | ${goal(summary.measureCpuShare, (value) => value <= QUALITY_GOALS.measureCpuShare)} |`),
    '',
    ...[...reasons.values()],
  ];
  return lines.join('\n');
}
