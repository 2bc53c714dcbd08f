/**
 * The workflow port: starts a job's execution under a name derived from the job id, so a
 * duplicate upload event starts nothing new. Step Functions' errors are mapped into the error
 * taxonomy here: unreachable or throttled is a TransientError (the caller's retry may succeed),
 * anything else an InternalError naming what Step Functions said.
 */
import { ExecutionAlreadyExists, ExecutionDoesNotExist, paginateGetExecutionHistory, StartExecutionCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { FanoutError, InternalError, TransientError } from './errors.ts';
import { sdkErrorKind } from './sdk-error-kind.ts';

export interface JobStarter {
  /** 'duplicate' when an execution of that name exists already (running or finished). */
  start(name: string, input: unknown): Promise<'started' | 'duplicate'>;
}

export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** Only `send` is used: a test can stand in for Step Functions without a cast. */
export function sfnJobStarter(sfn: Pick<SFNClient, 'send'>, stateMachineArn: string): JobStarter {
  return {
    async start(name, input) {
      try {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return 'started';
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists) return 'duplicate';
        throw workflowError(error, `starting execution ${name}`);
      }
    },
  };
}

/** An execution's whole history, oldest first; undefined when no execution has that ARN. */
export async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[] | undefined> {
  const events: HistoryEvent[] = [];
  try {
    for await (const page of paginateGetExecutionHistory({ client: sfn }, { executionArn, maxResults: 1000 })) events.push(...(page.events ?? []));
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return undefined;
    throw workflowError(error, `reading the history of ${executionArn}`);
  }
  return events;
}

export function workflowError(error: unknown, doing: string): Error {
  if (error instanceof FanoutError) return error;
  const detail = `${doing}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  if (sdkErrorKind(error) === 'transient') return new TransientError('WORKFLOW_UNAVAILABLE', detail, { cause: error });
  return new InternalError('WORKFLOW_UNAVAILABLE', detail, { cause: error });
}
