/**
 * What ListExecutions lists: a compact summary of every execution the endpoint knows, in memory
 * or only in the journal, kept sorted as AWS lists them (newest start first). The journal is read
 * once, at start, into this index; a listing walks the sorted array and never reads the file.
 *
 * A page ends at a (startDate, seq) key, and the next page starts strictly after it: a key, not
 * a position, so executions started between two calls neither repeat nor shift the next page.
 * `seq` breaks ties between starts in the same millisecond (later start, higher seq).
 */
import type { ExecutionRecord, ExecutionStatus } from './execution-registry.ts';
import type { JournalEntry } from './execution-journal.ts';
import { decodeListToken, encodeListToken, type ListToken } from './page-token.ts';

/** An execution's listing fields, and its place among starts in the same millisecond. */
export type ExecutionSummary = Pick<ExecutionRecord, 'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate' | 'stopDate'> & { seq: number };

export interface ListRequest {
  stateMachineArn: string;
  statusFilter?: ExecutionStatus;
  maxResults: number;
  nextToken?: string;
  /** Epoch milliseconds: executions closed before it are past their retention and not listed. */
  closedAfter: number;
}

/** AWS keeps closed executions for 90 days; ListExecutions stops listing them after that. */
export const CLOSED_RETENTION_MS = 90 * 24 * 3600 * 1000;

export class ExecutionIndex {
  /** Oldest start first, so the usual insertion (a start now) is a push. */
  private readonly sorted: ExecutionSummary[] = [];
  private readonly byArn = new Map<string, ExecutionSummary>();
  private nextSeq = 0;

  /** Summaries read from the journal, oldest written first: a later one for an execution replaces an earlier one. */
  static load(summaries: Iterable<Omit<ExecutionSummary, 'seq'>>): ExecutionIndex {
    const index = new ExecutionIndex();
    const latest = new Map<string, Omit<ExecutionSummary, 'seq'>>();
    for (const summary of summaries) latest.set(summary.executionArn, summary);
    for (const summary of [...latest.values()].sort((a, b) => a.startDate - b.startDate)) {
      const indexed = { ...summary, seq: index.nextSeq++ };
      index.sorted.push(indexed);
      index.byArn.set(indexed.executionArn, indexed);
    }
    return index;
  }

  /** A new execution; it replaces any summary under the same ARN (a name freed and reused). */
  add(execution: Omit<ExecutionSummary, 'seq'>): void {
    this.remove(execution.executionArn);
    const summary: ExecutionSummary = { ...execution, seq: this.nextSeq++ };
    this.sorted.splice(this.insertionPoint(summary), 0, summary);
    this.byArn.set(summary.executionArn, summary);
  }

  update(executionArn: string, change: { status: ExecutionStatus; stopDate?: number }): void {
    const summary = this.byArn.get(executionArn);
    if (summary !== undefined) Object.assign(summary, change);
  }

  /** An execution forgotten altogether (its name is free again). */
  remove(executionArn: string): void {
    const summary = this.byArn.get(executionArn);
    if (summary === undefined) return;
    this.byArn.delete(executionArn);
    this.sorted.splice(this.sorted.indexOf(summary), 1);
  }

  list(request: ListRequest): { items: ExecutionSummary[]; nextToken?: string } {
    const after = request.nextToken === undefined ? undefined : decodeListToken(request.nextToken);
    const items: ExecutionSummary[] = [];
    let more = false;
    for (let index = this.startOf(after); index >= 0; index--) {
      const summary = this.sorted[index]!;
      if (!listed(summary, request)) continue;
      if (items.length === request.maxResults) {
        more = true;
        break;
      }
      items.push(summary);
    }
    const last = items.at(-1);
    return { items, nextToken: more && last !== undefined ? encodeListToken({ startDate: last.startDate, seq: last.seq }) : undefined };
  }

  /** The index of the newest summary strictly older than `after`; the newest of all without it. */
  private startOf(after: ListToken | undefined): number {
    // A key from before a restart still works: it resumes after the same start time.
    return after === undefined ? this.sorted.length - 1 : this.lowerBound(after) - 1;
  }

  private insertionPoint(summary: ExecutionSummary): number {
    // A start now is usually the newest: check the end before searching.
    const last = this.sorted.at(-1);
    if (last === undefined || compare(last, summary) < 0) return this.sorted.length;
    return this.lowerBound(summary);
  }

  /** The first position whose summary is not older than `key`. */
  private lowerBound(key: ListToken): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(this.sorted[middle]!, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function compare(a: ListToken, b: ListToken): number {
  return a.startDate - b.startDate || a.seq - b.seq;
}

function listed(summary: ExecutionSummary, request: ListRequest): boolean {
  if (summary.stateMachineArn !== request.stateMachineArn) return false;
  if (request.statusFilter !== undefined && summary.status !== request.statusFilter) return false;
  return summary.stopDate === undefined || summary.status === 'RUNNING' || summary.stopDate >= request.closedAfter;
}

/** The few fields a listing needs, not the input and output a journal line also holds. */
export function summaryOf(entry: JournalEntry): Omit<ExecutionSummary, 'seq'> {
  const { executionArn, stateMachineArn, name, status, startDate, stopDate } = entry;
  return { executionArn, stateMachineArn, name, status, startDate, stopDate };
}
