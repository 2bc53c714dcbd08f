/**
 * CPU time and memory of this process and every descendant, read from /proc (Linux only).
 *
 * A process's `total` is utime + stime + cutime + cstime: its own CPU and that of the children
 * it has reaped. When a child is reaped its total moves into its parent's cutime/cstime, so the
 * sum of `total` over the live tree only ever grows by CPU actually spent: the difference
 * between two snapshots is the tree's CPU in between. A sampler keeps each process's last seen
 * total, so a part of the tree can be left out of a window (see cpuSecondsBetween).
 */
import { readFileSync, readdirSync } from 'node:fs';

/** sysconf(_SC_CLK_TCK) is 100 on every Linux that Node supports. */
const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

export interface ProcessSample {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime + cutime + cstime, seconds. */
  total: number;
  rssBytes: number;
}

export type TreeSnapshot = Map<number, ProcessSample>;

function readStat(pid: number): ProcessSample | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces or parentheses: split after the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[0] is stat field 3 (state): field n is fields[n - 3].
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    return { pid, ppid: Number(fields[1]), comm, total: ticks / TICKS_PER_SECOND, rssBytes: Number(fields[21]) * PAGE_BYTES };
  } catch {
    return undefined; // it ended while we looked
  }
}

/** This process and all its live descendants. */
export function snapshotTree(rootPid = process.pid): TreeSnapshot {
  const all: ProcessSample[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const sample = readStat(Number(entry));
    if (sample) all.push(sample);
  }
  const children = new Map<number, ProcessSample[]>();
  for (const sample of all) children.set(sample.ppid, [...(children.get(sample.ppid) ?? []), sample]);
  const tree: TreeSnapshot = new Map();
  const root = all.find((sample) => sample.pid === rootPid);
  if (!root) return tree;
  const queue = [root];
  while (queue.length > 0) {
    const next = queue.pop()!;
    tree.set(next.pid, next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  return tree;
}

export interface TreeWindow {
  /** CPU-seconds of the whole tree in the window. */
  cpuSeconds: number;
  /** The same, leaving out the processes `exclude` picks (and, through their totals, their reaped children). */
  cpuSecondsExcluding(exclude: (sample: ProcessSample, rootPid: number) => boolean): number;
  peakRssBytes: number;
  wallMs: number;
}

/**
 * Samples the tree every `intervalMs` until stopped. Sum of totals at stop − at start is the
 * tree's CPU; a process left out contributes (last seen − first seen in the window) which,
 * for one that ends and is reaped by the root inside the window, is what moved into the root.
 * CPU a process spends between its last sample and its end is missed when it is left out.
 */
export function startTreeWindow({ intervalMs = 200, rootPid = process.pid } = {}): { stop(): TreeWindow } {
  const startedAt = Date.now();
  const first = snapshotTree(rootPid);
  const firstSeen = new Map<number, ProcessSample>(first);
  const lastSeen = new Map<number, ProcessSample>(first);
  let peakRssBytes = sumRss(first);
  const observe = (snapshot: TreeSnapshot) => {
    for (const [pid, sample] of snapshot) {
      if (!firstSeen.has(pid)) firstSeen.set(pid, { ...sample, total: 0 }); // born in the window
      lastSeen.set(pid, sample);
    }
    peakRssBytes = Math.max(peakRssBytes, sumRss(snapshot));
  };
  const timer = setInterval(() => observe(snapshotTree(rootPid)), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const last = snapshotTree(rootPid);
      observe(last);
      const cpuSeconds = sumTotal(last) - sumTotal(first);
      return {
        cpuSeconds,
        cpuSecondsExcluding(exclude) {
          let excluded = 0;
          for (const [pid, sample] of lastSeen) {
            if (pid === rootPid || !exclude(sample, rootPid)) continue;
            // One that ended was reaped by its parent: if that parent is left out too, the CPU is in its total already.
            const reapedByRoot = sample.ppid === rootPid;
            if (last.has(pid) || reapedByRoot) excluded += sample.total - firstSeen.get(pid)!.total;
          }
          return cpuSeconds - excluded;
        },
        peakRssBytes,
        wallMs: Date.now() - startedAt,
      };
    },
  };
}

function sumTotal(snapshot: TreeSnapshot): number {
  let sum = 0;
  for (const sample of snapshot.values()) sum += sample.total;
  return sum;
}

function sumRss(snapshot: TreeSnapshot): number {
  let sum = 0;
  for (const sample of snapshot.values()) sum += sample.rssBytes;
  return sum;
}
