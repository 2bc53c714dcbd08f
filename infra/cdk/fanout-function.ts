/**
 * One pipeline function: a Node.js Lambda built from `functions/<name>/handler.ts`. The
 * `fanout:function` metadata is how the local host finds the handler behind a function in the
 * synthesized template.
 */
import { Duration, Size } from 'aws-cdk-lib';
import { Architecture, type CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

export const FUNCTION_METADATA_KEY = 'fanout:function';
export type FunctionName = 'splitter' | 'encoder' | 'image-resize' | 'assembler';

export interface FanoutFunctionProps {
  name: FunctionName;
  memoryMiB: number;
  timeout: Duration;
  /** /tmp size: room for the source (splitter) or a chunk and its outputs (encoder). */
  ephemeralStorageMiB?: number;
  environment: Record<string, string>;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function fanoutFunction(scope: Construct, id: string, props: FanoutFunctionProps): NodejsFunction {
  const fn = new NodejsFunction(scope, id, {
    entry: `${repoRoot}functions/${props.name}/handler.ts`,
    handler: 'handler',
    projectRoot: repoRoot,
    depsLockFilePath: `${repoRoot}package-lock.json`,
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memoryMiB,
    timeout: props.timeout,
    ...(props.ephemeralStorageMiB ? { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMiB) } : {}),
    environment: props.environment,
    bundling: {
      format: OutputFormat.ESM,
      target: 'node24',
      sourceMap: true,
      // sharp is a native module: installed for Lambda's platform, not the machine that synthesizes.
      nodeModules: props.name === 'image-resize' || props.name === 'splitter' ? ['sharp'] : [],
      environment: { npm_config_os: 'linux', npm_config_cpu: 'arm64', npm_config_libc: 'glibc' },
    },
  });
  (fn.node.defaultChild as CfnFunction).addMetadata(FUNCTION_METADATA_KEY, props.name);
  return fn;
}
