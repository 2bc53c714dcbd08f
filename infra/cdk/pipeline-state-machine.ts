/**
 * The pipeline's state machine, defined once. AWS runs it; the local host runs the definition
 * that this construct synthesizes.
 *
 *   Accepted? ─rejected──────────────────────────────┐
 *      └─accepted─► ResizeImages (Map) ─┬─────────────► Assemble ─► Job failed? ─► Fail | Succeed
 *                                       └─Catch($.failure)─┘
 */
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JitterType,
  Map as MapState,
  StateMachine,
  Succeed,
  Timeout,
  type TaskStateBase,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ErrorName } from '../../shared/errors.ts';

/** Lambda's own transient failures: throttling and service-side errors. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];
/** A sandbox that timed out or died (a killed process): one more try may land on a healthy one. */
export const SANDBOX_ERRORS = ['Sandbox.Timedout', 'Runtime.ExitError'];

export const IMAGE_MAP_CONCURRENCY = 16;

export interface PipelineStateMachineProps {
  imageResize: IFunction;
  imageResizeTimeout: Duration;
  assembler: IFunction;
  assemblerTimeout: Duration;
}

export class PipelineStateMachine extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);

    const assemble = withRetries(
      new LambdaInvoke(this, 'Assemble', {
        lambdaFunction: props.assembler,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: Timeout.duration(props.assemblerTimeout.plus(Duration.seconds(30))),
        resultPath: '$.job',
      }),
      // The assembler writes the manifest that says how the job ended: give it more tries.
      6,
    );
    const finish = new Choice(this, 'Job failed?')
      .when(Condition.stringEquals('$.job.status', 'failed'), new Fail(this, 'Failed', { error: 'JobFailed', causePath: '$.job.manifestKey' }))
      .otherwise(new Succeed(this, 'Done'));
    assemble.next(finish);

    const resizeImage = withRetries(
      new LambdaInvoke(this, 'ResizeImage', {
        lambdaFunction: props.imageResize,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: Timeout.duration(props.imageResizeTimeout.plus(Duration.seconds(30))),
      }),
      3,
    );
    const resizeImages = new MapState(this, 'ResizeImages', {
      itemsPath: '$.imageTasks',
      maxConcurrency: IMAGE_MAP_CONCURRENCY,
      resultPath: '$.imageResults',
    });
    resizeImages.itemProcessor(resizeImage);
    // Any failure inside the fan-out (bad bytes found late, retries exhausted) still ends in a manifest.
    resizeImages.addCatch(assemble, { errors: ['States.ALL'], resultPath: '$.failure' });
    resizeImages.next(assemble);

    const accepted = new Choice(this, 'Accepted?')
      .when(Condition.stringEquals('$.outcome', 'rejected'), assemble)
      .otherwise(resizeImages);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(accepted),
      timeout: Duration.hours(2),
    });
  }
}

/** Transient errors are retried with backoff and jitter; a rejected input never is (it is not listed). */
function withRetries<T extends TaskStateBase>(task: T, maxAttempts: number): T {
  task.addRetry({
    errors: [ErrorName.transient, ...LAMBDA_SERVICE_ERRORS],
    interval: Duration.seconds(1),
    backoffRate: 2,
    maxAttempts,
    maxDelay: Duration.seconds(30),
    jitterStrategy: JitterType.FULL,
  });
  task.addRetry({ errors: SANDBOX_ERRORS, interval: Duration.seconds(1), maxAttempts: 1 });
  return task;
}
