/** The whole pipeline as one stack: three buckets, three functions, one state machine. */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket, EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { Construct } from 'constructs';
import { fanoutFunction } from './fanout-function.ts';
import { PipelineStateMachine } from './pipeline-state-machine.ts';

export const BUCKET_METADATA_KEY = 'fanout:bucket';
export type BucketRole = 'input' | 'renditions' | 'work';

export class FanoutStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const input = this.bucket('InputBucket', 'input', { versioned: true });
    // Separate from the input bucket, so writing a rendition never triggers a job.
    const renditions = this.bucket('RenditionsBucket', 'renditions', {});
    // Cut segments, encoded chunks and stills: deleted by the assembler, expired as a backstop.
    const work = this.bucket('WorkBucket', 'work', { expireAfter: Duration.days(2) });
    const buckets = { RENDITIONS_BUCKET: renditions.bucketName, WORK_BUCKET: work.bucketName };

    // Sizing, in one place: memory buys vCPUs (1,769 MB = 1 vCPU), ffmpeg and sharp use them.
    const encoder = { timeout: Duration.minutes(15), fn: fanoutFunction(this, 'Encoder', { name: 'encoder', memoryMiB: 4096, timeout: Duration.minutes(15), ephemeralStorageMiB: 4096, environment: buckets }) };
    const imageResize = { timeout: Duration.minutes(2), fn: fanoutFunction(this, 'ImageResize', { name: 'image-resize', memoryMiB: 2048, timeout: Duration.minutes(2), environment: buckets }) };
    const assembler = { timeout: Duration.minutes(15), fn: fanoutFunction(this, 'Assembler', { name: 'assembler', memoryMiB: 3008, timeout: Duration.minutes(15), ephemeralStorageMiB: 10240, environment: buckets }) };
    const pipeline = new PipelineStateMachine(this, 'Pipeline', { encoder, imageResize, assembler });

    const splitter = fanoutFunction(this, 'Splitter', {
      name: 'splitter',
      memoryMiB: 2048,
      timeout: Duration.minutes(15),
      ephemeralStorageMiB: 10240,
      environment: { ...buckets, STATE_MACHINE_ARN: pipeline.stateMachine.stateMachineArn },
    });
    input.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(splitter));

    input.grantRead(splitter);
    input.grantRead(imageResize.fn);
    work.grantReadWrite(splitter);
    work.grantReadWrite(encoder.fn);
    work.grantRead(imageResize.fn);
    work.grantReadWrite(assembler.fn);
    work.grantDelete(assembler.fn);
    renditions.grantRead(splitter, '*/manifest.json');
    renditions.grantPut(imageResize.fn);
    renditions.grantReadWrite(assembler.fn);
    renditions.grantDelete(assembler.fn);
    pipeline.stateMachine.grantStartExecution(splitter);
    pipeline.stateMachine.grantRead(splitter);

    new CfnOutput(this, 'InputBucketName', { value: input.bucketName });
    new CfnOutput(this, 'RenditionsBucketName', { value: renditions.bucketName });
    new CfnOutput(this, 'StateMachineArn', { value: pipeline.stateMachine.stateMachineArn });
  }

  private bucket(id: string, role: BucketRole, options: { versioned?: boolean; expireAfter?: Duration }): Bucket {
    const bucket = new Bucket(this, id, {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      versioned: options.versioned ?? false,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...(options.expireAfter ? [{ expiration: options.expireAfter }] : []),
      ],
    });
    (bucket.node.defaultChild as CfnBucket).addMetadata(BUCKET_METADATA_KEY, role);
    return bucket;
  }
}
