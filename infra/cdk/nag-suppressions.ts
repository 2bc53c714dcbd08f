/**
 * The cdk-nag AwsSolutions findings this stack accepts, each acknowledged on the construct it
 * concerns, for the one finding it names, with the reason. test/infra/cdk-nag.test.ts runs the
 * checks and expects zero findings left; a new finding fails it until it is fixed or argued here.
 */
import { BOOTSTRAP_QUALIFIER_CONTEXT, type CfnElement, DefaultStackSynthesizer, Stack, Validations } from 'aws-cdk-lib';
import type { Distribution } from 'aws-cdk-lib/aws-cloudfront';
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
  /** Dead-letter queues: the end of a redrive, with none behind them. */
  deadLetters: Queue[];
  distribution: Distribution;
  /** The dashboard's bucket, when the page is published (context dashboardOidcClientId). */
  dashboardBucket?: Bucket;
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
    subjects.functions.api.role!,
    `IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${logicalId(stateMachine)}.Name>:*]`,
    "The job API describes a job's execution and reads its history (progress): executions of this state machine only, named by job id at run time.",
  );
  acknowledge(
    subjects.functions.finalizer.role!,
    `IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${logicalId(stateMachine)}.Name>:*]`,
    "The finalizer reads an ended execution's history for the cost of the job it finalizes: executions of this state machine only, named by job id at run time.",
  );
  acknowledge(
    stateMachine,
    'SF1',
    'Logging at ERROR without execution data is deliberate: every event of every execution is in its history for 90 days already, and logging ALL would copy job contents into CloudWatch Logs at a cost per GB ingested.',
  );

  for (const deadLetters of subjects.deadLetters) {
    acknowledge(
      deadLetters,
      'SQS3',
      'This queue is itself a dead-letter queue (of the asynchronous invocations and event rules, or of the webhook deliveries); a dead-letter queue behind it would only move the same messages.',
    );
  }

  const distribution = subjects.distribution;
  acknowledge(
    distribution,
    'CFR1',
    "Renditions are played by the deployer's users wherever they are; a deployer bound to serve some countries only adds a geo restriction. Access is otherwise limited by origin access control and, optionally, signed URLs (playbackKeyGroupId).",
  );
  acknowledge(
    distribution,
    'CFR2',
    'A WAF web ACL bills a fixed monthly fee per ACL and rule, a charge while idle that this stack refuses (test/infra/idle-cost.test.ts). The origin is a private bucket behind origin access control; only GET, HEAD and OPTIONS reach it; playback can require signed URLs (playbackKeyGroupId).',
  );
  acknowledge(
    distribution,
    'CFR4',
    "Served on the distribution's own *.cloudfront.net name, whose certificate CloudFront manages and whose minimum protocol it fixes (TLSv1); a custom domain with an ACM certificate can require TLSv1.2_2021 (docs/aws.md).",
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
  if (subjects.dashboardBucket) acknowledgeDashboardDeployment(stack, subjects.dashboardBucket, logicalId(subjects.dashboardBucket));
}

/** CDK's BucketDeployment function: it copies the built dashboard into its bucket at deploy time, and never runs between deployments. */
function acknowledgeDashboardDeployment(stack: Stack, dashboardBucket: Bucket, dashboardBucketId: string): void {
  const deployment = stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (!deployment) return;
  const acknowledge = (id: string, reason: string) => Validations.of(deployment).acknowledge({ id: `AwsSolutions-${id}`, reason });
  const why = "CDK's BucketDeployment grant, for the function that copies the built dashboard at deploy time only";
  const qualifier = (stack.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT) as string | undefined) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
  acknowledge(
    `IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*]`,
    `${why}: it reads the page's zipped asset from the CDK bootstrap bucket, whose object keys are content hashes.`,
  );
  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) acknowledge(`IAM5[Action::${action}]`, `${why}: reading the asset and listing the buckets it syncs.`);
  for (const action of ['s3:DeleteObject*', 's3:Abort*']) acknowledge(`IAM5[Action::${action}]`, `${why}: \`aws s3 sync\` into the dashboard bucket (${dashboardBucket.node.path}) only.`);
  acknowledge(`IAM5[Resource::<${dashboardBucketId}.Arn>/*]`, `${why}: it writes the page's files, any key under dashboard/, in the dashboard's own bucket.`);
  acknowledge(
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "CDK's BucketDeployment function comes with this AWS-managed policy for its logs; it runs only during a deployment.",
  );
  acknowledge('L1', "CDK pins the Python runtime of its own BucketDeployment handler (with the AWS CLI layer it is tested on); it runs only during a deployment, on no user input.");
}
