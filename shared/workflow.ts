/**
 * The workflow port: starts a job's execution under a name derived from the job id, so a
 * duplicate upload event starts nothing new.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

export interface JobStarter {
  /** 'duplicate' when an execution of that name exists already (running or finished). */
  start(name: string, input: unknown): Promise<'started' | 'duplicate'>;
  exists(name: string): Promise<boolean>;
}

export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export function sfnJobStarter(sfn: SFNClient, stateMachineArn: string): JobStarter {
  return {
    async start(name, input) {
      try {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return 'started';
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists) return 'duplicate';
        throw error;
      }
    },

    async exists(name) {
      try {
        await sfn.send(new DescribeExecutionCommand({ executionArn: executionArnFor(stateMachineArn, name) }));
        return true;
      } catch (error) {
        if (error instanceof ExecutionDoesNotExist) return false;
        throw error;
      }
    },
  };
}
