/**
 * Maps aws-local-stepfunctions' event log to Step Functions HistoryEvents (GetExecutionHistory's
 * wire shape). `toHistoryEvents` is pure; `HistoryThreads` numbers what it returns as AWS does,
 * each event's `previousEventId` pointing at the event before it in its own thread (a Map
 * iteration's first event at its MapIterationStarted), so concurrent iterations stay apart.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import type { EnclosingMaps, TaskResources } from './prepare-definition.ts';

export type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

interface DataDetails {
  truncated: boolean;
}

export interface HistoryEvent {
  /** Epoch seconds, as the AWS JSON protocol sends timestamps. */
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  executionStartedEventDetails?: { input?: string; inputDetails?: DataDetails; roleArn: string };
  executionSucceededEventDetails?: { output?: string; outputDetails?: DataDetails };
  executionFailedEventDetails?: { error: string; cause: string };
  executionAbortedEventDetails?: { error?: string; cause?: string };
  executionTimedOutEventDetails?: { error: string; cause: string };
  stateEnteredEventDetails?: { name: string; input?: string; inputDetails?: DataDetails };
  stateExitedEventDetails?: { name: string; output?: string; outputDetails?: DataDetails };
  taskScheduledEventDetails?: { resourceType: string; resource: string; region: string; parameters: string };
  taskStartedEventDetails?: { resourceType: string; resource: string };
  taskSucceededEventDetails?: { resourceType: string; resource: string };
  taskFailedEventDetails?: { resourceType: string; resource: string; error: string; cause: string };
  taskTimedOutEventDetails?: { resourceType: string; resource: string; error: string; cause: string };
  mapIterationStartedEventDetails?: { name: string; index: number };
  mapIterationSucceededEventDetails?: { name: string; index: number };
  mapIterationFailedEventDetails?: { name: string; index: number };
}

export type HistoryEventBody = Omit<HistoryEvent, 'id' | 'previousEventId'>;

export const EXECUTION_TIMED_OUT = { error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' };

export interface HistoryContext {
  roleArn: string;
  /** The state machine's region, which AWS names in every TaskScheduled. */
  region: string;
  taskResources: TaskResources;
}

/** The library's task timeout; AWS reports a Task that ran past its TimeoutSeconds as TaskTimedOut. */
const TASK_TIMEOUT_ERROR = 'States.Timeout';

/**
 * The events AWS writes for one library event; none for events AWS has no counterpart for (a
 * catch shows on AWS as a TaskFailed followed by the state's exit, and Parallel branches have no
 * events of their own). Failures of states other than Task, Map and Parallel appear only as the
 * ExecutionFailed (or the catching state's exit) that follows.
 *
 * Every Task attempt is TaskScheduled, then TaskSucceeded, TaskFailed or TaskTimedOut: the
 * library calls the task's handler as it enters the state (or retries it) and reports its end as
 * soon as the handler settles. Its TaskStarted, in between as on AWS, is not in the library's
 * log: the function host says when a worker took the attempt (a wait in its queue is no run),
 * and `HistoryThreads.beginAttempt` writes it. A state exited after a caught failure gets no
 * TaskSucceeded: `HistoryThreads` drops it.
 */
export function toHistoryEvents(event: LibraryEvent, context: HistoryContext): HistoryEventBody[] {
  const timestamp = event.timestamp / 1000;
  const taskAttempt = (input: unknown, resourceType: string, resource: string): HistoryEventBody[] => [
    // The state's input: the task's Parameters are applied inside the library, out of the log's sight.
    { timestamp, type: 'TaskScheduled', taskScheduledEventDetails: { resourceType, resource, region: context.region, parameters: toJson(input) } },
  ];
  if (event.type === 'StateEntered' || event.type === 'StateRetried' || event.type === 'StateExited') {
    if (event.state.type === 'Task') {
      const [resourceType, resource] = describeResource(context.taskResources.get(event.state.name) ?? '');
      if (event.type === 'StateRetried') return taskAttempt(event.state.input, resourceType, resource);
      const state = toHistoryEvent(event, context);
      const own = state === undefined ? [] : [state];
      if (event.type === 'StateEntered') return [...own, ...taskAttempt(event.state.input, resourceType, resource)];
      return [{ timestamp, type: 'TaskSucceeded', taskSucceededEventDetails: { resourceType, resource } }, ...own];
    }
  }
  const mapped = toHistoryEvent(event, context);
  return mapped === undefined ? [] : [mapped];
}

/** The one event AWS writes for a library event that is not a Task attempt's. */
function toHistoryEvent(event: LibraryEvent, context: HistoryContext): HistoryEventBody | undefined {
  const timestamp = event.timestamp / 1000;
  switch (event.type) {
    case 'ExecutionStarted':
      return {
        timestamp,
        type: 'ExecutionStarted',
        executionStartedEventDetails: { input: toJson(event.input), inputDetails: { truncated: false }, roleArn: context.roleArn },
      };
    case 'ExecutionSucceeded':
      return {
        timestamp,
        type: 'ExecutionSucceeded',
        executionSucceededEventDetails: { output: toJson(event.output), outputDetails: { truncated: false } },
      };
    case 'ExecutionFailed':
      return { timestamp, type: 'ExecutionFailed', executionFailedEventDetails: { error: event.Error, cause: toCause(event.Cause) } };
    case 'ExecutionAborted':
      return { timestamp, type: 'ExecutionAborted', executionAbortedEventDetails: {} };
    case 'ExecutionTimeout':
      return { timestamp, type: 'ExecutionTimedOut', executionTimedOutEventDetails: EXECUTION_TIMED_OUT };
    case 'StateEntered':
      return {
        timestamp,
        type: `${event.state.type}StateEntered`,
        stateEnteredEventDetails: { name: event.state.name, input: toJson(event.state.input), inputDetails: { truncated: false } },
      };
    case 'StateExited':
      return {
        timestamp,
        type: `${event.state.type}StateExited`,
        stateExitedEventDetails: { name: event.state.name, output: toJson(event.state.output ?? null), outputDetails: { truncated: false } },
      };
    case 'StateFailed':
      if (event.state.type === 'Task') {
        const [resourceType, resource] = describeResource(context.taskResources.get(event.state.name) ?? '');
        const details = { resourceType, resource, error: event.Error, cause: toCause(event.Cause) };
        if (event.Error === TASK_TIMEOUT_ERROR) return { timestamp, type: 'TaskTimedOut', taskTimedOutEventDetails: details };
        return { timestamp, type: 'TaskFailed', taskFailedEventDetails: details };
      }
      if (event.state.type === 'Map' || event.state.type === 'Parallel') return { timestamp, type: `${event.state.type}StateFailed` };
      return undefined;
    case 'MapIterationStarted':
      return { timestamp, type: 'MapIterationStarted', mapIterationStartedEventDetails: { name: event.parentState.name, index: event.index } };
    case 'MapIterationSucceeded':
      return { timestamp, type: 'MapIterationSucceeded', mapIterationSucceededEventDetails: { name: event.parentState.name, index: event.index } };
    case 'MapIterationFailed':
      return { timestamp, type: 'MapIterationFailed', mapIterationFailedEventDetails: { name: event.parentState.name, index: event.index } };
    case 'StateRetried':
    case 'StateCaught':
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
    case 'ParallelBranchFailed':
      return undefined;
  }
}

/**
 * Numbers one execution's events: `append` stores an event after the given previous one and
 * returns its id (undefined when the history is full). A Map iteration is its own thread, found
 * from the iteration index the library puts on its events and the Map that runs the state;
 * everything else (Parallel branches too, which the library does not tell apart) is one thread.
 *
 * TaskStarted comes from outside the log: `beginAttempt(state)` is called as the library calls
 * a Task's handler, and the function it returns when a worker starts that attempt. The handler
 * does not know its Map iteration, so calls are paired with the logged attempts of the same
 * state in order: the library calls a handler synchronously right after it logs the attempt, and
 * forwards each iteration's events to this log in that order (it does so in microtasks, which
 * end before the next timer or worker reply can start another attempt). A start that comes
 * before its attempt reaches the log is written right after its TaskScheduled; an attempt that
 * ends before any worker took it (it timed out in the queue) gets no TaskStarted.
 */
export class HistoryThreads {
  /** Thread -> the id of its latest event. */
  private readonly latest = new Map<string, number>();
  /** Map state name -> the id of its MapStateEntered, where its iterations start. */
  private readonly mapEntered = new Map<string, number>();
  /** Threads whose latest Task attempt failed: their state exits by a catch, not a success. */
  private readonly failedAttempt = new Set<string>();
  /** Task state name -> handler calls whose attempt the log has not reached yet, oldest first. */
  private readonly unlogged = new Map<string, Attempt[]>();
  /** Thread -> its attempt scheduled in the history and not yet started. */
  private readonly unstarted = new Map<string, Attempt>();

  private readonly context: HistoryContext & { enclosingMaps: EnclosingMaps };
  private readonly append: (body: HistoryEventBody, previousEventId: number) => number | undefined;

  constructor(context: HistoryContext & { enclosingMaps: EnclosingMaps }, append: (body: HistoryEventBody, previousEventId: number) => number | undefined) {
    this.context = context;
    this.append = append;
  }

  record(event: LibraryEvent): void {
    const thread = this.threadOf(event);
    for (const body of toHistoryEvents(event, this.context)) {
      if (body.type === 'TaskSucceeded' && this.failedAttempt.has(thread)) continue;
      if (body.type === 'TaskFailed' || body.type === 'TaskTimedOut') this.failedAttempt.add(thread);
      if (body.type === 'TaskScheduled') this.failedAttempt.delete(thread);
      if (body.type === 'TaskSucceeded' || body.type === 'TaskFailed' || body.type === 'TaskTimedOut') this.unstarted.delete(thread);
      this.appendTo(thread, body);
      if (body.type === 'TaskScheduled' && 'state' in event) this.scheduled(thread, event.state.name);
    }
  }

  /** A Task's handler was called for `stateName`; the function returned is told when a worker starts it. */
  beginAttempt(stateName: string): (startMs: number) => void {
    const attempt: Attempt = {};
    const calls = this.unlogged.get(stateName) ?? [];
    calls.push(attempt);
    this.unlogged.set(stateName, calls);
    return (startMs) => {
      if (attempt.thread === undefined) {
        attempt.startMs = startMs;
        return;
      }
      if (this.unstarted.get(attempt.thread) !== attempt) return;
      this.unstarted.delete(attempt.thread);
      this.appendTo(attempt.thread, this.startedEvent(stateName, startMs));
    };
  }

  /** Pairs the attempt just scheduled in `thread` with its handler call, and writes its start if it has one. */
  private scheduled(thread: string, stateName: string): void {
    const attempt = this.unlogged.get(stateName)?.shift();
    // None: the library failed the state before it called the handler (its InputPath or Parameters).
    if (attempt === undefined) return;
    attempt.thread = thread;
    if (attempt.startMs === undefined) this.unstarted.set(thread, attempt);
    else this.appendTo(thread, this.startedEvent(stateName, attempt.startMs));
  }

  private startedEvent(stateName: string, startMs: number): HistoryEventBody {
    const [resourceType, resource] = describeResource(this.context.taskResources.get(stateName) ?? '');
    return { timestamp: startMs / 1000, type: 'TaskStarted', taskStartedEventDetails: { resourceType, resource } };
  }

  private appendTo(thread: string, body: HistoryEventBody): void {
    const iteration = body.mapIterationStartedEventDetails;
    const previous = this.latest.get(thread) ?? (iteration ? this.mapEntered.get(iteration.name) : undefined) ?? this.latest.get(ROOT) ?? 0;
    const id = this.append(body, previous);
    if (id === undefined) return;
    this.latest.set(thread, id);
    if (body.type === 'MapStateEntered' && body.stateEnteredEventDetails) this.mapEntered.set(body.stateEnteredEventDetails.name, id);
  }

  private threadOf(event: LibraryEvent): string {
    if (event.type === 'MapIterationStarted' || event.type === 'MapIterationSucceeded' || event.type === 'MapIterationFailed') {
      return `${event.parentState.name}#${event.index}`;
    }
    if ('state' in event && event.index !== undefined) {
      const map = this.context.enclosingMaps.get(event.state.name);
      if (map !== undefined) return `${map}#${event.index}`;
    }
    return ROOT;
  }
}
const ROOT = '';

/** One call of a Task's handler: its thread once its attempt is in the history, its start once a worker took it. */
interface Attempt {
  thread?: string;
  startMs?: number;
}

/** `arn:aws:states:::lambda:invoke` -> ['lambda', 'invoke']; a function ARN -> ['lambda', arn]. */
export function describeResource(resource: string): [string, string] {
  const integration = /^arn:[^:]+:states:::([^:]+):(.+)$/.exec(resource);
  if (integration?.[1] !== undefined && integration[2] !== undefined) return [integration[1], integration[2]];
  return ['lambda', resource];
}

function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** The library passes a failure's Cause through as it came; Step Functions' is always a string. */
export function toCause(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause) ?? '';
}
