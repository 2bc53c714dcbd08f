/**
 * One pipeline function, built from `functions/<name>/handler.ts`: from the ffmpeg container
 * image (splitter, encoder, assembler) or as a zip bundle (the others). Either way it gets a
 * role of its own (only its log group to start with; the stack adds its bucket grants), a log
 * group with a retention, arm64 and, when given a network, isolated subnets. The
 * `fanout:function` metadata is how the local host finds the handler behind a function in the
 * synthesized template.
 */
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, DockerImageFunction, type Function as LambdaFunction, type FunctionOptions, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ESBUILD_TARGET, ESM_DIRNAME_DEFINE, ESM_REQUIRE_BANNER, LAMBDA_PLATFORM_NPM_ENV, MAIN_FIELDS, NATIVE_MODULES, repoRoot } from './bundling.ts';
import { FFMPEG_FUNCTIONS, type FfmpegFunctionName, type FfmpegImage } from './ffmpeg-image.ts';

export const FUNCTION_METADATA_KEY = 'fanout:function';
export type FunctionName = 'starter' | 'splitter' | 'encoder' | 'image-resize' | 'assembler' | 'finalizer' | 'api' | 'webhook-delivery';
export const FUNCTION_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** Subnets with no route to the internet, and the security group the function's ENIs use. */
export interface FunctionNetwork {
  vpc: IVpc;
  subnets: SubnetSelection;
  securityGroup: ISecurityGroup;
}

export interface FanoutFunctionProps {
  name: FunctionName;
  memoryMiB: number;
  timeout: Duration;
  /** /tmp size: room for the source (splitter) or a chunk and its outputs (encoder). */
  ephemeralStorageMiB?: number;
  environment: Record<string, string>;
  /** The ffmpeg functions run from this image; without it, the function is a zip bundle. */
  image?: FfmpegImage;
  network?: FunctionNetwork;
}

export function fanoutFunction(scope: Construct, id: string, props: FanoutFunctionProps): LambdaFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: FUNCTION_LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY });
  const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `fanout ${props.name} function` });
  logGroup.grantWrite(role);
  if (props.network) role.addToPrincipalPolicy(lambdaNetworkInterfaces());

  const options: FunctionOptions = {
    architecture: Architecture.ARM_64,
    memorySize: props.memoryMiB,
    timeout: props.timeout,
    ...(props.ephemeralStorageMiB ? { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMiB) } : {}),
    environment: props.environment,
    role,
    logGroup,
    ...(props.network ? { vpc: props.network.vpc, vpcSubnets: props.network.subnets, securityGroups: [props.network.securityGroup] } : {}),
  };
  const fn = props.image ? new DockerImageFunction(scope, id, { ...options, code: props.image.codeFor(ffmpegFunctionName(props.name)) }) : zipFunction(scope, id, props.name, options);
  (fn.node.defaultChild as CfnFunction).addMetadata(FUNCTION_METADATA_KEY, props.name);
  return fn;
}

function zipFunction(scope: Construct, id: string, name: FunctionName, options: FunctionOptions): NodejsFunction {
  return new NodejsFunction(scope, id, {
    ...options,
    entry: `${repoRoot}functions/${name}/handler.ts`,
    handler: 'handler',
    projectRoot: repoRoot,
    depsLockFilePath: `${repoRoot}package-lock.json`,
    runtime: Runtime.NODEJS_24_X,
    bundling: {
      format: OutputFormat.ESM,
      target: ESBUILD_TARGET,
      mainFields: MAIN_FIELDS,
      banner: ESM_REQUIRE_BANNER,
      define: ESM_DIRNAME_DEFINE,
      sourceMap: true,
      // The pinned AWS SDK goes into the bundle, not the runtime's copy, whichever version that is.
      externalModules: [],
      // sharp is a native module: installed for Lambda's platform, not the machine that synthesizes.
      ...(name === 'image-resize' ? { nodeModules: NATIVE_MODULES } : {}),
      environment: LAMBDA_PLATFORM_NPM_ENV,
    },
  });
}

function ffmpegFunctionName(name: FunctionName): FfmpegFunctionName {
  const ffmpegName = FFMPEG_FUNCTIONS.find((candidate) => candidate === name);
  if (!ffmpegName) throw new Error(`${name} needs no ffmpeg: it is a zip function, not one of the ffmpeg image's`);
  return ffmpegName;
}

/** What Lambda needs to attach a function to a VPC: the same actions as AWSLambdaVPCAccessExecutionRole. */
function lambdaNetworkInterfaces(): PolicyStatement {
  return new PolicyStatement({
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['*'],
  });
}
