/**
 * CPU time of this process's finished children (ffmpeg runs), for the benchmark's ratios (search,
 * measure and encode CPU). Linux's /proc/self/stat fields 16–17 (cutime, cstime: children waited
 * for, in clock ticks); 0 where there is no /proc (macOS), so a figure is never invented.
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ, fixed at 100 on every architecture Lambda runs. */
const TICKS_PER_SECOND = 100;

export function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[13]) + Number(fields[14]);
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : 0;
  } catch {
    return 0;
  }
}
