/**
 * Maps aws-local-stepfunctions' event log to Step Functions HistoryEvents (GetExecutionHistory's
 * wire shape, before `id` and `previousEventId` are assigned). Pure.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import type { TaskResources } from './prepare-definition.ts';

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
  taskFailedEventDetails?: { resourceType: string; resource: string; error: string; cause: string };
  mapIterationStartedEventDetails?: { name: string; index: number };
  mapIterationSucceededEventDetails?: { name: string; index: number };
  mapIterationFailedEventDetails?: { name: string; index: number };
}

export type HistoryEventBody = Omit<HistoryEvent, 'id' | 'previousEventId'>;

export const EXECUTION_TIMED_OUT = { error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' };

export interface HistoryContext {
  roleArn: string;
  taskResources: TaskResources;
}

/**
 * Returns undefined for events AWS has no counterpart for: a retry shows on AWS as a TaskFailed
 * followed by the next attempt, a catch as a TaskFailed followed by the state's exit, and
 * Parallel branches have no events of their own. Failures of states other than Task, Map and
 * Parallel appear only as the ExecutionFailed (or the catching state's exit) that follows.
 */
export function toHistoryEvent(event: LibraryEvent, context: HistoryContext): HistoryEventBody | undefined {
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
        return {
          timestamp,
          type: 'TaskFailed',
          taskFailedEventDetails: { resourceType, resource, error: event.Error, cause: toCause(event.Cause) },
        };
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
