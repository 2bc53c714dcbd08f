/**
 * An append-only JSON-lines file of finished executions, so that execution names and results
 * survive a restart of the local host.
 *
 * Only terminal executions are written. An execution still RUNNING when the host stopped is
 * lost with it: it has no line, its name is free again, and the host's reconcile pass starts
 * it anew under the same name. Lines hold the execution's summary, not its event history.
 * The file is never compacted (a local host's journal stays small).
 */
import { appendFileSync, closeSync, createReadStream, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';

export const JournalEntry = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  name: z.string(),
  status: z.enum(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  /** Epoch milliseconds. */
  startDate: z.number(),
  stopDate: z.number(),
  input: z.string(),
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

export class ExecutionJournal {
  readonly file: string;

  constructor(file: string) {
    this.file = file;
    mkdirSync(dirname(file), { recursive: true });
    // A line cut short by a killed host must not swallow the next one.
    if (!endsWithNewline(file)) appendFileSync(file, '\n', 'utf8');
  }

  /**
   * Every entry, oldest first. Lines that do not parse are skipped: the usual one is a last
   * line cut short when the host was killed mid-write.
   */
  async *entries(): AsyncGenerator<JournalEntry> {
    if (!existsSync(this.file)) return;
    const lines = createInterface({ input: createReadStream(this.file, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      const entry = parseLine(line);
      if (entry !== undefined) yield entry;
    }
  }

  /** The latest entry for an execution; a linear scan, for executions no longer kept in memory. */
  async find(executionArn: string): Promise<JournalEntry | undefined> {
    let found: JournalEntry | undefined;
    for await (const entry of this.entries()) if (entry.executionArn === executionArn) found = entry;
    return found;
  }

  /** Synchronous, so a line is on disk before the execution reads as finished. */
  append(entry: JournalEntry): void {
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`, 'utf8');
  }
}

function endsWithNewline(file: string): boolean {
  if (!existsSync(file)) return true;
  const size = statSync(file).size;
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, last, 0, 1, size - 1);
  } finally {
    closeSync(fd);
  }
  return last.toString('utf8') === '\n';
}

function parseLine(line: string): JournalEntry | undefined {
  if (line.trim() === '') return undefined;
  try {
    const parsed = JournalEntry.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
