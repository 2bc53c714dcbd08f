/**
 * The cdk-nag AwsSolutions findings this stack accepts, each acknowledged on the construct it
 * concerns, for the one finding it names, with the reason. test/infra/cdk-nag.test.ts runs the
 * checks and expects zero findings left; a new finding fails it until it is fixed or argued here.
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import type { BucketRole } from './fanout-stack.ts';
import type { FunctionName } from './fanout-function.ts';
import { OBJECT_ACCESS, type ObjectAccess } from './object-access.ts';

export interface NagSubjects {
  functions: Record<FunctionName, LambdaFunction>;
  /** The functions attached to the isolated subnets. */
  inVpc: readonly FunctionName[];
  buckets: Record<BucketRole, Bucket>;
  stateMachine: StateMachine;
  deadLetters: Queue;
}

export function acknowledgeNagFindings(stack: Stack, subjects: NagSubjects): void {
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const acknowledge = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });

  for (const [name, fn] of Object.entries(subjects.functions) as Array<[FunctionName, LambdaFunction]>) {
    for (const [role, access] of Object.entries(OBJECT_ACCESS[name]) as Array<[BucketRole, ObjectAccess]>) {
      const patterns = new Set([...(access.read ?? []), ...(access.write ?? []), ...(access.delete ?? [])]);
      for (const pattern of patterns) {
        acknowledge(
          fn.role!,
          `IAM5[Resource::<${logicalId(subjects.buckets[role])}.Arn>/${pattern}]`,
          `Object keys begin with the job id, known only at run time: "${pattern}" in the ${role} bucket covers the objects this function handles for any job, and nothing else there (infra/cdk/object-access.ts).`,
        );
      }
    }
  }
  for (const name of subjects.inVpc) {
    acknowledge(
      subjects.functions[name].role!,
      'IAM5[Resource::*]',
      "Lambda's VPC attachment: ec2:CreateNetworkInterface, Describe*, Delete and the private IP calls, on *, as in the AWS-managed AWSLambdaVPCAccessExecutionRole; Lambda creates the network interfaces, their ids are not known in advance.",
    );
  }

  const stateMachine = subjects.stateMachine;
  acknowledge(
    stateMachine.role,
    'IAM5[Resource::*]',
    'Log delivery (logs:CreateLogDelivery and friends) and X-Ray (PutTraceSegments, sampling rules) support no resource-level permissions: AWS documents these statements with Resource "*".',
  );
  for (const name of ['splitter', 'encoder', 'image-resize', 'assembler'] as const) {
    acknowledge(
      stateMachine.role,
      `IAM5[Resource::<${logicalId(subjects.functions[name])}.Arn>:*]`,
      `Invoking the ${name} function, one of this pipeline's own; the :* form covers its versions and aliases, as CDK grants by default.`,
    );
  }
  // ARNs of this state machine's executions; the execution names (job ids, map runs) are known only at run time.
  const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId(stateMachine)}"}]}]}`;
  for (const suffix of [':*', '/*:*']) {
    acknowledge(
      stateMachine,
      `IAM5[Resource::${executions}${suffix}]`,
      "The Distributed Map describes and stops the child executions it starts, whose names Step Functions generates: CDK's grant, scoped to this state machine's executions.",
    );
  }
  acknowledge(
    stateMachine,
    'SF1',
    'Logging at ERROR without execution data is deliberate: every event of every execution is in its history for 90 days already, and logging ALL would copy job contents into CloudWatch Logs at a cost per GB ingested.',
  );

  acknowledge(
    subjects.deadLetters,
    'SQS3',
    "This queue is itself the dead-letter destination of the starter's and the finalizer's asynchronous invocations and of the finalizer's event rule; a dead-letter queue behind it would only move the same messages.",
  );

  // CDK's own custom resource that writes the input bucket's notification configuration, at deploy time only.
  const notificationsHandler = stack.node.children.find((child) => child.node.id.startsWith('BucketNotificationsHandler'));
  if (notificationsHandler) {
    acknowledge(
      notificationsHandler,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's BucketNotificationsHandler (it sets the input bucket's event notification during deployment) comes with this AWS-managed policy for its logs; it never runs between deployments.",
    );
  }
}
