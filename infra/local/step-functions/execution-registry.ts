/**
 * The executions the local endpoint knows: starts them on aws-local-stepfunctions, keeps their
 * status and live history, answers lookups and listings, journals the finished ones.
 *
 * Memory is bounded by `retainFinished` (1000 by default): past it, the oldest finished
 * execution is dropped. With a journal, a dropped execution keeps its name (StartExecution
 * still answers ExecutionAlreadyExists), DescribeExecution / GetExecutionHistory find it by
 * scanning the journal, and ListExecutions still lists it: every execution, in memory or only
 * journaled, has a compact summary in the index (execution-index.ts), read from the journal
 * once at start. Without a journal, a dropped execution is forgotten and its name is free again. Each history holds at
 * most `maxHistoryEvents` events (AWS's per-execution limit, 25,000); later ones are dropped
 * except the execution's terminal event.
 */
import { ApiError } from './api-error.ts';
import { buildTaskHandlers, LOCAL_STATE_CONTEXT, MAX_PAYLOAD_BYTES, type JsonValue, type TaskInvoker } from './build-task-handlers.ts';
import { CLOSED_RETENTION_MS, ExecutionIndex, summaryOf, type ExecutionSummary } from './execution-index.ts';
import type { ExecutionJournal, JournalEntry } from './execution-journal.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import type { PreparedStateMachine } from './prepare-state-machine.ts';
import { runExecution, type ExecutionOutcome, type TerminalStatus } from './run-execution.ts';
import { EXECUTION_TIMED_OUT, HistoryThreads, type HistoryEvent, type HistoryEventBody } from './to-history-event.ts';

export type ExecutionStatus = 'RUNNING' | TerminalStatus;

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  /** Epoch milliseconds. */
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
}

export interface ExecutionRegistryOptions {
  stateMachines: PreparedStateMachine[];
  invokeTask: TaskInvoker;
  journal?: ExecutionJournal;
  retainFinished?: number;
  maxHistoryEvents?: number;
  /** Told of every execution that ends, as Step Functions tells EventBridge (a status-change event). */
  onExecutionEnded?: (entry: JournalEntry) => void;
  /** Told of every execution that starts (status RUNNING), as Step Functions tells EventBridge too. */
  onExecutionStarted?: (execution: StartedExecution) => void;
  /** Epoch milliseconds; closed executions are listed for 90 days after they stopped. */
  now?: () => number;
}

/** An execution as it starts: what EventBridge's RUNNING status-change event carries. */
export type StartedExecution = Pick<ExecutionRecord, 'executionArn' | 'stateMachineArn' | 'name' | 'startDate' | 'input'> & { status: 'RUNNING' };

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

const DEFAULT_RETAIN_FINISHED = 1000;
const DEFAULT_MAX_HISTORY_EVENTS = 25_000;
const DEFAULT_PAGE_SIZE = 100;
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const STATE_MACHINE_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:execution:[^:]+:[^:]+$/;
const TERMINAL_EVENT_TYPES = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

interface Running {
  abort(): void;
  settled: Promise<void>;
}

export class ExecutionRegistry {
  private readonly machines: Map<string, PreparedStateMachine>;
  private readonly invokeTask: TaskInvoker;
  private readonly journal: ExecutionJournal | undefined;
  private readonly retainFinished: number;
  private readonly maxHistoryEvents: number;
  private readonly onExecutionEnded: ((entry: JournalEntry) => void) | undefined;
  private readonly onExecutionStarted: ((execution: StartedExecution) => void) | undefined;
  /** Every execution kept in memory, running or finished, by ARN. */
  private readonly records = new Map<string, ExecutionRecord>();
  /** ARNs of finished executions kept in memory, oldest finished first. */
  private readonly finished = new Set<string>();
  /** ARNs of every journaled execution, kept in memory or not: their names stay taken. */
  private readonly journaled = new Set<string>();
  private readonly running = new Map<string, Running>();
  private readonly invocations = new Set<Promise<unknown>>();
  private readonly now: () => number;
  /** What ListExecutions lists: every execution kept in memory or journaled. */
  private index = new ExecutionIndex();
  private closing = false;

  /** Creates the registry and reads the journal, if there is one, once. */
  static async open(options: ExecutionRegistryOptions): Promise<ExecutionRegistry> {
    const registry = new ExecutionRegistry(options);
    if (options.journal !== undefined) {
      const summaries: Array<ReturnType<typeof summaryOf>> = [];
      for await (const entry of options.journal.entries()) {
        registry.restore(entry);
        summaries.push(summaryOf(entry));
      }
      registry.index = ExecutionIndex.load(summaries);
    }
    return registry;
  }

  private constructor(options: ExecutionRegistryOptions) {
    this.machines = new Map(options.stateMachines.map((machine) => [machine.arn, machine]));
    this.invokeTask = options.invokeTask;
    this.journal = options.journal;
    this.retainFinished = options.retainFinished ?? DEFAULT_RETAIN_FINISHED;
    this.maxHistoryEvents = options.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
    this.onExecutionEnded = options.onExecutionEnded;
    this.onExecutionStarted = options.onExecutionStarted;
    this.now = options.now ?? Date.now;
  }

  stateMachines(): PreparedStateMachine[] {
    return [...this.machines.values()];
  }

  stateMachine(stateMachineArn: string): PreparedStateMachine {
    if (!STATE_MACHINE_ARN.test(stateMachineArn)) throw new ApiError('InvalidArn', `Invalid Arn: '${stateMachineArn}'`);
    const machine = this.machines.get(stateMachineArn);
    if (machine === undefined) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    return machine;
  }

  /**
   * Starts an execution. A name already taken is ExecutionAlreadyExists, except when that
   * execution is still running with the very same input: then the call is idempotent.
   */
  start(request: { stateMachineArn: string; name?: string; input?: string }): ExecutionRecord {
    const machine = this.stateMachine(request.stateMachineArn);
    const name = request.name ?? crypto.randomUUID();
    if (!EXECUTION_NAME.test(name)) throw new ApiError('InvalidName', `Invalid Name: '${name}' (1-80 characters: letters, digits, - and _)`);
    const input = request.input ?? '{}';
    const inputValue = parseExecutionInput(input);
    const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.records.get(executionArn);
    if (existing?.status === 'RUNNING' && existing.input === input) return existing;
    if (existing !== undefined || this.journaled.has(executionArn)) {
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      status: 'RUNNING',
      startDate: this.now(),
      input,
      history: [],
    };
    this.records.set(executionArn, record);
    this.index.add({ executionArn, stateMachineArn: machine.arn, name, status: 'RUNNING', startDate: record.startDate });
    this.onExecutionStarted?.({ executionArn, stateMachineArn: machine.arn, name, status: 'RUNNING', startDate: record.startDate, input });
    if (machine.runner === undefined) {
      this.appendEvent(record, startedEvent(record, machine.roleArn));
      const cause = `The local Step Functions host cannot run ${machine.name}: ${machine.problems.join('; ')}`;
      this.finish(record, { status: 'FAILED', error: 'States.Runtime', cause });
      return record;
    }
    this.launch(machine, record, inputValue);
    return record;
  }

  async describe(executionArn: string): Promise<ExecutionRecord> {
    return this.find(executionArn);
  }

  /** Every execution of the machine, newest start first, as AWS lists them (closed ones for 90 days). */
  list(request: { stateMachineArn: string; statusFilter?: ExecutionStatus; maxResults?: number; nextToken?: string }): Page<ExecutionSummary> {
    const machine = this.stateMachine(request.stateMachineArn);
    return this.index.list({
      stateMachineArn: machine.arn,
      statusFilter: request.statusFilter,
      maxResults: pageSize(request.maxResults),
      nextToken: request.nextToken,
      closedAfter: this.now() - CLOSED_RETENTION_MS,
    });
  }

  async history(request: {
    executionArn: string;
    maxResults?: number;
    nextToken?: string;
    reverseOrder?: boolean;
    includeExecutionData?: boolean;
  }): Promise<Page<HistoryEvent>> {
    const events = (await this.find(request.executionArn)).history;
    const size = pageSize(request.maxResults);
    // Histories only grow, so a position in the list is a stable cursor in either direction.
    const position = request.nextToken === undefined ? undefined : decodePageToken(request.nextToken);
    if (position !== undefined && position > events.length) throw new ApiError('InvalidToken', `Invalid Token: '${request.nextToken}'`);
    let items: HistoryEvent[];
    let next: number | undefined;
    if (request.reverseOrder === true) {
      const end = position ?? events.length;
      const start = Math.max(0, end - size);
      items = events.slice(start, end).reverse();
      next = start > 0 ? start : undefined;
    } else {
      const start = position ?? 0;
      items = events.slice(start, start + size);
      next = start + size < events.length ? start + size : undefined;
    }
    if (request.includeExecutionData === false) items = items.map(withoutExecutionData);
    return { items, nextToken: next === undefined ? undefined : encodePageToken(next) };
  }

  /** Stops a running execution (ABORTED at once); a finished one is left as it is. */
  async stop(request: { executionArn: string; error?: string; cause?: string }): Promise<ExecutionRecord> {
    const record = await this.find(request.executionArn);
    if (record.status !== 'RUNNING') return record;
    this.finish(record, { status: 'ABORTED', error: request.error, cause: request.cause });
    this.running.get(record.executionArn)?.abort();
    return record;
  }

  /** Resolves once no execution is running and no task invocation is in flight. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.invocations.size > 0) {
      await Promise.allSettled([...[...this.running.values()].map((running) => running.settled), ...this.invocations]);
    }
  }

  /**
   * The host is stopping: running executions are abandoned, unjournaled, as a crash would
   * leave them. Task invocations already in flight are not waited for.
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    const running = [...this.running.values()];
    for (const execution of running) execution.abort();
    await Promise.allSettled(running.map((execution) => execution.settled));
  }

  private launch(machine: PreparedStateMachine, record: ExecutionRecord, input: JsonValue): void {
    if (machine.runner === undefined) return;
    const stopped = new AbortController();
    // A task can start after its execution was stopped: its history is closed by then.
    const threads = new HistoryThreads({ ...machine, region: regionOf(machine.arn) }, (body, previousEventId) =>
      record.status === 'RUNNING' ? this.appendEvent(record, body, previousEventId) : undefined,
    );
    const execution = runExecution({
      runner: machine.runner,
      input,
      context: {
        ...LOCAL_STATE_CONTEXT,
        Execution: { Id: record.executionArn, Name: record.name, Input: input, StartTime: new Date(record.startDate).toISOString(), RoleArn: machine.roleArn },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
      taskHandlers: buildTaskHandlers({
        taskResources: machine.taskResources,
        invokeTask: this.invokeTask,
        stopped: stopped.signal,
        track: (invocation) => this.track(invocation),
        beginAttempt: (stateName) => threads.beginAttempt(stateName),
      }),
      onEvent: (event) => {
        if (record.status !== 'RUNNING') return;
        threads.record(event);
      },
    });
    const settled = execution.outcome
      .catch((error: unknown): ExecutionOutcome => ({ status: 'FAILED', error: 'States.Runtime', cause: String(error) }))
      .then((outcome) => {
        if (!this.closing) this.finish(record, outcome);
      })
      .finally(() => {
        stopped.abort();
        this.running.delete(record.executionArn);
      })
      .catch((error: unknown) => console.error(`local Step Functions: could not finish ${record.executionArn}:`, error));
    const abort = () => {
      execution.abort(); // first, so the execution settles as aborted, not as failed by its tasks
      stopped.abort();
    };
    this.running.set(record.executionArn, { abort, settled });
  }

  private track(invocation: Promise<unknown>): void {
    this.invocations.add(invocation);
    const forget = () => this.invocations.delete(invocation);
    invocation.then(forget, forget);
  }

  /** Returns the new event's id, or undefined when the history is full. */
  private appendEvent(record: ExecutionRecord, body: HistoryEventBody, previousEventId?: number): number | undefined {
    const terminal = TERMINAL_EVENT_TYPES.has(body.type);
    if (!terminal && record.history.length >= this.maxHistoryEvents) return undefined;
    const id = record.history.length + 1;
    record.history.push({ ...body, id, previousEventId: previousEventId ?? id - 1 });
    return id;
  }

  private finish(record: ExecutionRecord, outcome: ExecutionOutcome): void {
    if (record.status !== 'RUNNING') return;
    const entry: JournalEntry = {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: outcome.status,
      startDate: record.startDate,
      stopDate: this.now(),
      input: record.input,
      output: outcome.output,
      error: outcome.error,
      cause: outcome.cause,
    };
    this.writeJournal(entry);
    Object.assign(record, { status: entry.status, stopDate: entry.stopDate, output: entry.output, error: entry.error, cause: entry.cause });
    this.index.update(record.executionArn, { status: entry.status, stopDate: entry.stopDate });
    const last = record.history.at(-1);
    if (last === undefined || !TERMINAL_EVENT_TYPES.has(last.type)) this.appendEvent(record, terminalEvent(entry));
    this.finished.add(record.executionArn);
    this.evict();
    this.onExecutionEnded?.(entry);
  }

  private writeJournal(entry: JournalEntry): void {
    if (this.journal === undefined) return;
    try {
      this.journal.append(entry);
      this.journaled.add(entry.executionArn);
    } catch (error) {
      // The execution still finishes in memory; only its survival of a restart is lost.
      console.error(`local Step Functions: could not journal ${entry.executionArn}:`, error);
    }
  }

  private restore(entry: JournalEntry): void {
    this.journaled.add(entry.executionArn);
    // A later line for the same execution (a rerun after a lost start) replaces the earlier one.
    this.records.delete(entry.executionArn);
    this.finished.delete(entry.executionArn);
    this.records.set(entry.executionArn, fromJournalEntry(entry, this.roleArnOf(entry.stateMachineArn)));
    this.finished.add(entry.executionArn);
    this.evict();
  }

  private evict(): void {
    for (const executionArn of this.finished) {
      if (this.finished.size <= this.retainFinished) return;
      this.finished.delete(executionArn);
      this.records.delete(executionArn);
      // Unjournaled, it is forgotten: its name is free, and no listing shows it.
      if (!this.journaled.has(executionArn)) this.index.remove(executionArn);
    }
  }

  private async find(executionArn: string): Promise<ExecutionRecord> {
    if (!EXECUTION_ARN.test(executionArn)) throw new ApiError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    const record = this.records.get(executionArn);
    if (record !== undefined) return record;
    if (this.journal !== undefined && this.journaled.has(executionArn)) {
      const entry = await this.journal.find(executionArn);
      if (entry !== undefined) return fromJournalEntry(entry, this.roleArnOf(entry.stateMachineArn));
    }
    throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
  }

  private roleArnOf(stateMachineArn: string): string {
    return this.machines.get(stateMachineArn)?.roleArn ?? '';
  }
}

/** Input is JSON text of at most 256 KiB (UTF-8 bytes), as on AWS. */
function parseExecutionInput(input: string): JsonValue {
  const bytes = Buffer.byteLength(input, 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new ApiError('InvalidExecutionInput', `Input is ${bytes} bytes, over the limit of ${MAX_PAYLOAD_BYTES} bytes`);
  }
  try {
    const value: JsonValue = JSON.parse(input);
    return value;
  } catch (error) {
    throw new ApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function regionOf(stateMachineArn: string): string {
  return stateMachineArn.split(':')[3] ?? '';
}

function pageSize(maxResults: number | undefined): number {
  return maxResults === undefined || maxResults === 0 ? DEFAULT_PAGE_SIZE : maxResults;
}

/** A journaled execution's history is not journaled: it is told again as its start and its end. */
function fromJournalEntry(entry: JournalEntry, roleArn: string): ExecutionRecord {
  const record: ExecutionRecord = { ...entry, history: [] };
  for (const [index, body] of [startedEvent(record, roleArn), terminalEvent(entry)].entries()) {
    record.history.push({ ...body, id: index + 1, previousEventId: index });
  }
  return record;
}

function startedEvent(record: ExecutionRecord, roleArn: string): HistoryEventBody {
  return {
    timestamp: record.startDate / 1000,
    type: 'ExecutionStarted',
    executionStartedEventDetails: { input: record.input, inputDetails: { truncated: false }, roleArn },
  };
}

function terminalEvent(entry: JournalEntry): HistoryEventBody {
  const timestamp = entry.stopDate / 1000;
  const error = entry.error ?? '';
  const cause = entry.cause ?? '';
  switch (entry.status) {
    case 'SUCCEEDED':
      return { timestamp, type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: entry.output ?? 'null', outputDetails: { truncated: false } } };
    case 'FAILED':
      return { timestamp, type: 'ExecutionFailed', executionFailedEventDetails: { error, cause } };
    case 'ABORTED':
      return { timestamp, type: 'ExecutionAborted', executionAbortedEventDetails: { error: entry.error, cause: entry.cause } };
    case 'TIMED_OUT':
      return { timestamp, type: 'ExecutionTimedOut', executionTimedOutEventDetails: EXECUTION_TIMED_OUT };
  }
}

function withoutExecutionData(event: HistoryEvent): HistoryEvent {
  const copy = structuredClone(event);
  delete copy.executionStartedEventDetails?.input;
  delete copy.executionSucceededEventDetails?.output;
  delete copy.stateEnteredEventDetails?.input;
  delete copy.stateExitedEventDetails?.output;
  if (copy.taskScheduledEventDetails) copy.taskScheduledEventDetails.parameters = '';
  return copy;
}
