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
    this.bucket('WorkBucket', 'work', { expireAfter: Duration.days(2) });

    const imageResizeTimeout = Duration.minutes(2);
    const assemblerTimeout = Duration.minutes(1);
    const imageResize = fanoutFunction(this, 'ImageResize', {
      name: 'image-resize',
      memoryMiB: 2048,
      timeout: imageResizeTimeout,
      environment: { RENDITIONS_BUCKET: renditions.bucketName },
    });
    const assembler = fanoutFunction(this, 'Assembler', {
      name: 'assembler',
      memoryMiB: 512,
      timeout: assemblerTimeout,
      environment: { RENDITIONS_BUCKET: renditions.bucketName },
    });
    const pipeline = new PipelineStateMachine(this, 'Pipeline', { imageResize, imageResizeTimeout, assembler, assemblerTimeout });

    const splitter = fanoutFunction(this, 'Splitter', {
      name: 'splitter',
      memoryMiB: 1024,
      timeout: Duration.minutes(5),
      environment: { RENDITIONS_BUCKET: renditions.bucketName, STATE_MACHINE_ARN: pipeline.stateMachine.stateMachineArn },
    });
    input.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(splitter));

    input.grantRead(splitter);
    input.grantRead(imageResize);
    renditions.grantRead(splitter, '*/manifest.json');
    renditions.grantPut(imageResize);
    renditions.grantReadWrite(assembler);
    renditions.grantDelete(assembler);
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
