/**
 * Runs inside each worker process of the local function host: a small stand-in for the Lambda
 * runtime. Like a warm Lambda sandbox, a worker keeps its handler module (and so its cold-start
 * config) across invocations and has a /tmp of its own; each handler gets a context whose
 * getRemainingTimeInMillis counts down to the function's timeout, as Lambda's does.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toLambdaErrorPayload } from '../../shared/errors.ts';

// Function logs are diagnostics, like CloudWatch's: keep them off the host's stdout, which a
// command such as `fanout process --json` reserves for its result.
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

const ownTmp = join(process.env.FANOUT_WORKER_TMP_ROOT ?? '/tmp', `worker-${process.pid}`);
mkdirSync(ownTmp, { recursive: true });
process.env.TMPDIR = ownTmp;

type Handler = (event: unknown, context: LocalLambdaContext) => Promise<unknown>;
const handlers = new Map<string, Promise<Handler>>();

export interface Invocation {
  handlerPath: string;
  event: unknown;
  /** What the context reports: the function's ARN and memory, and when its timeout falls (epoch ms). */
  context: { invokedFunctionArn: string; memoryLimitInMB: number; deadlineMs: number };
}

/** The fields of Lambda's context object that handlers and Powertools read. */
export interface LocalLambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

function lambdaContext({ invokedFunctionArn, memoryLimitInMB, deadlineMs }: Invocation['context']): LocalLambdaContext {
  const functionName = invokedFunctionArn.split(':').pop() ?? 'local';
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn,
    memoryLimitInMB: String(memoryLimitInMB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
}

export type InvocationOutcome = { ok: true; result: unknown } | { ok: false; error: ReturnType<typeof toLambdaErrorPayload> };

export default async function invoke({ handlerPath, event, context }: Invocation): Promise<InvocationOutcome> {
  try {
    let handler = handlers.get(handlerPath);
    if (!handler) {
      handler = import(pathToFileURL(handlerPath).href).then((module: { handler: Handler }) => module.handler);
      handlers.set(handlerPath, handler);
    }
    // JSON round trip: what a Lambda returns is what Step Functions sees.
    const result = await (await handler)(event, lambdaContext(context));
    return { ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
  } catch (error) {
    return { ok: false, error: toLambdaErrorPayload(error) };
  }
}
