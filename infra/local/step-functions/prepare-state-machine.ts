/**
 * Turns a state machine the host was given into one the local endpoint can run: the definition
 * readied for aws-local-stepfunctions, validated once, its Task states indexed.
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { isRecord, prepareDefinition, type EnclosingMaps, type TaskResources } from './prepare-definition.ts';

export interface LocalStateMachine {
  /** `arn:aws:states:<region>:<account>:stateMachine:<name>` */
  arn: string;
  name: string;
  /** The ASL definition as JSON (extracted by the caller from the CDK-synthesized template). */
  definition: object;
  /** Reported in DescribeStateMachine and `$$.Execution.RoleArn`; a placeholder when unset. */
  roleArn?: string;
}

export interface PreparedStateMachine {
  arn: string;
  name: string;
  roleArn: string;
  /** The definition as given, for DescribeStateMachine. */
  definitionText: string;
  /** Epoch milliseconds. */
  creationDate: number;
  /** Undefined when the definition has problems. */
  runner: StateMachine | undefined;
  taskResources: TaskResources;
  enclosingMaps: EnclosingMaps;
  /** Why this state machine cannot run locally; its executions fail with these as the cause. */
  problems: string[];
}

const STATE_MACHINE_ARN = /^arn:[^:]+:states:[^:]*:([^:]*):stateMachine:[^:]+$/;

export function prepareStateMachine(machine: LocalStateMachine, creationDate: number): PreparedStateMachine {
  const account = STATE_MACHINE_ARN.exec(machine.arn)?.[1];
  if (account === undefined) throw new Error(`Not a state machine ARN: ${machine.arn}`);
  const prepared = prepareDefinition(machine.definition);
  let runner: StateMachine | undefined;
  const problems = [...prepared.problems];
  if (problems.length === 0 && hasDefinitionShape(prepared.definition)) {
    try {
      // ARNs are not checked: local resources need not look like AWS ones. Paths are.
      runner = new StateMachine(prepared.definition, { validationOptions: { checkArn: false } });
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (runner === undefined && problems.length === 0) problems.push('the definition has no StartAt or no States');
  return {
    arn: machine.arn,
    name: machine.name,
    roleArn: machine.roleArn ?? `arn:aws:iam::${account}:role/local-step-functions`,
    definitionText: JSON.stringify(machine.definition),
    creationDate,
    runner,
    taskResources: prepared.taskResources,
    enclosingMaps: prepared.enclosingMaps,
    problems,
  };
}

/** The outline only; the library's validator checks the rest. */
function hasDefinitionShape(value: unknown): value is StateMachineDefinition {
  return isRecord(value) && typeof value['StartAt'] === 'string' && isRecord(value['States']);
}
