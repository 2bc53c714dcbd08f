/**
 * The pipeline's state machine, defined once. AWS runs it; the local host runs the definition
 * that this construct synthesizes.
 *
 *   Split ─► Accepted? ─rejected/failed──────────────────────────────────────────┐
 *     │         └─accepted─► FanOut (Parallel) ─┬─ Distributed? ─► [ProbeChunks (Map: target mode's CRF searches)] ─► EncodeChunks (Map)
 *     │                                         │                  (or the same two as Distributed Maps)
 *     │                                         ├─ EncodeAudio (Map: each audio track once, for the whole file)
 *     │                                         └─ ResizeImages (Map: the image's widths, or a video's poster and thumbnails)
 *     │                      └─Catch($.failure)─────────────────────────────────────► Assemble ─► Job failed? ─► Fail | Succeed
 *     └─Catch($.failure): the splitter crashed, ran out of memory or time ───────────┘
 *
 * The execution starts with the starter's ExecutionInput (the upload, as its event named it);
 * the splitter adds `$.plan`, the fan-out `$.results`. An image job has no chunk and no audio
 * task, so one graph serves every media type. Every way out of Split and FanOut reaches
 * Assemble, which writes the manifest; what cannot reach it (the execution's own timeout, a
 * StopExecution, Assemble failing past its retries) is finalized from the execution's
 * status-change event (fanout-stack.ts).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Map as MapState,
  Parallel,
  Pass,
  Result,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
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

/**
 * A fan-out task's payload (TaskAttempt in shared/contracts/work-plan.ts): the Map item, and the
 * retry count Step Functions keeps for the state, so each result says how many tries it took.
 */
export const ATTEMPT_PAYLOAD = TaskInput.fromObject({ task: JsonPath.objectAt('$'), retryCount: JsonPath.numberAt('$$.State.RetryCount') });

export const IMAGE_MAP_CONCURRENCY = 16;
export const AUDIO_MAP_CONCURRENCY = 8;
/** An inline Map runs at most 40 iterations at once. */
export const INLINE_CHUNK_CONCURRENCY = 40;
/** A Distributed Map runs up to 10,000 child executions at once; this keeps Lambda's default account concurrency (1,000) for other work too. */
export const DISTRIBUTED_CHUNK_CONCURRENCY = 500;

export interface TimedFunction {
  fn: IFunction;
  timeout: Duration;
}

export interface PipelineStateMachineProps {
  splitter: TimedFunction;
  encoder: TimedFunction;
  imageResize: TimedFunction;
  assembler: TimedFunction;
}

export class PipelineStateMachine extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const invoke = (stateId: string, target: TimedFunction, options: { maxAttempts: number; resultPath?: string; countAttempts?: boolean }) =>
      withRetries(
        new LambdaInvoke(this, stateId, {
          lambdaFunction: target.fn,
          ...(options.countAttempts ? { payload: ATTEMPT_PAYLOAD } : {}),
          payloadResponseOnly: true,
          retryOnServiceExceptions: false,
          taskTimeout: Timeout.duration(target.timeout.plus(Duration.seconds(30))),
          ...(options.resultPath ? { resultPath: options.resultPath } : {}),
        }),
        options.maxAttempts,
      );

    // The splitter reads the upload it is given, probes it and plans; only storage trouble is
    // retried. Anything that kills it (out of memory, its timeout) is caught into the manifest.
    const split = invoke('Split', props.splitter, { maxAttempts: 3, resultPath: '$.plan' });

    // The assembler writes the manifest that says how the job ended: it gets more tries.
    const assemble = invoke('Assemble', props.assembler, { maxAttempts: 6, resultPath: '$.job' });
    assemble.next(
      new Choice(this, 'Job failed?')
        .when(Condition.stringEquals('$.job.status', 'failed'), new Fail(this, 'Failed', { error: 'JobFailed', causePath: '$.job.manifestKey' }))
        .otherwise(new Succeed(this, 'Done')),
    );

    // Target mode: every chunk's CRF search ends before any chunk is encoded (a chunk task
    // smooths its CRF with its neighbours' searches). No probe tasks: straight to the encodes.
    const searching = Condition.isPresent('$.plan.probeTasks[0]');
    const videoResults = new Pass(this, 'VideoResults', { parameters: { 'probeResults.$': '$.probeResults', 'chunkResults.$': '$.chunkResults' } });

    const probeChunks = new MapState(this, 'ProbeChunks', { itemsPath: '$.plan.probeTasks', maxConcurrency: INLINE_CHUNK_CONCURRENCY, resultPath: '$.probeResults' });
    probeChunks.itemProcessor(invoke('ProbeChunk', props.encoder, { maxAttempts: 3, countAttempts: true }));
    const encodeChunks = new MapState(this, 'EncodeChunks', { itemsPath: '$.plan.chunkTasks', maxConcurrency: INLINE_CHUNK_CONCURRENCY, resultPath: '$.chunkResults' });
    encodeChunks.itemProcessor(invoke('EncodeChunk', props.encoder, { maxAttempts: 3, countAttempts: true }));
    encodeChunks.next(videoResults);
    const inline = new Choice(this, 'Search CRFs?')
      .when(searching, probeChunks.next(encodeChunks))
      .otherwise(new Pass(this, 'NoProbes', { result: Result.fromArray([]), resultPath: '$.probeResults' }).next(encodeChunks));

    // Past the inline Map's limits (40 at once; a standard execution's 25,000 history events),
    // each chunk runs as a child execution. The local host runs this Map inline.
    const distributedMap = (id: string, itemsPath: string) =>
      new DistributedMap(this, id, {
        itemsPath,
        maxConcurrency: DISTRIBUTED_CHUNK_CONCURRENCY,
        mapExecutionType: StateMachineType.EXPRESS,
        // Thousands of per-chunk results would outgrow the 256 KB state: keep the branch's output small.
        resultPath: JsonPath.DISCARD,
      });
    const probeChunksDistributed = distributedMap('ProbeChunksDistributed', '$.plan.probeTasks');
    probeChunksDistributed.itemProcessor(invoke('ProbeChunkInChildExecution', props.encoder, { maxAttempts: 3, countAttempts: true }));
    const encodeChunksDistributed = distributedMap('EncodeChunksDistributed', '$.plan.chunkTasks');
    encodeChunksDistributed.itemProcessor(invoke('EncodeChunkInChildExecution', props.encoder, { maxAttempts: 3, countAttempts: true }));
    encodeChunksDistributed.next(new Pass(this, 'NoChunkTimings', { result: Result.fromArray([]), resultPath: '$.chunkResults' })).next(videoResults);
    const noProbeTimings = new Pass(this, 'NoProbeTimings', { result: Result.fromArray([]), resultPath: '$.probeResults' });
    noProbeTimings.next(encodeChunksDistributed);
    const distributed = new Choice(this, 'Search CRFs? (distributed)').when(searching, probeChunksDistributed.next(noProbeTimings)).otherwise(noProbeTimings);

    const chunks = new Choice(this, 'Distributed?').when(Condition.stringEquals('$.plan.fanOut', 'distributed'), distributed).otherwise(inline);

    // One task per audio track, side by side: a source has at most MAX_STREAMS of them.
    const encodeAudio = new MapState(this, 'EncodeAudio', { itemsPath: '$.plan.audioTasks', maxConcurrency: AUDIO_MAP_CONCURRENCY });
    encodeAudio.itemProcessor(invoke('EncodeAudioTrack', props.encoder, { maxAttempts: 3, countAttempts: true }));

    const resizeImages = new MapState(this, 'ResizeImages', { itemsPath: '$.plan.imageTasks', maxConcurrency: IMAGE_MAP_CONCURRENCY });
    resizeImages.itemProcessor(invoke('ResizeImage', props.imageResize, { maxAttempts: 3, countAttempts: true }));

    const fanOut = new Parallel(this, 'FanOut', {
      resultSelector: { 'probeResults.$': '$[0].probeResults', 'chunkResults.$': '$[0].chunkResults', 'audioResults.$': '$[1]', 'imageResults.$': '$[2]' },
      resultPath: '$.results',
    });
    fanOut.branch(chunks).branch(encodeAudio).branch(resizeImages);
    // Any failure inside the fan-out (bad bytes found late, retries exhausted) still ends in a manifest.
    fanOut.addCatch(assemble, { errors: ['States.ALL'], resultPath: '$.failure' });
    fanOut.next(assemble);

    // Rejected and failed plans have nothing to fan out: their manifest is all that is left to write.
    const accepted = new Choice(this, 'Accepted?').when(Condition.stringEquals('$.plan.outcome', 'accepted'), fanOut).otherwise(assemble);
    split.addCatch(assemble, { errors: ['States.ALL'], resultPath: '$.failure' });
    split.next(accepted);

    // Errors only, without the state's data: the execution history already keeps every event
    // for 90 days, and the logs stay free of job contents (they bill per GB ingested).
    // /aws/vendedlogs/: Step Functions' log delivery keeps a resource policy per log group outside it.
    const logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-pipeline`,
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(split),
      timeout: Duration.hours(2),
      logs: { destination: logGroup, level: LogLevel.ERROR, includeExecutionData: false },
      tracingEnabled: true,
    });
  }
}

/** Transient errors are retried with backoff and jitter; a rejected input never is (it is not listed). */
function withRetries(task: LambdaInvoke, maxAttempts: number): LambdaInvoke {
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
