/**
 * Runs inside each worker process of the local function host: a small stand-in for the Lambda
 * runtime. Like a warm Lambda sandbox, a worker keeps its handler module (and so its cold-start
 * config) across invocations and has a /tmp of its own.
 */
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

type Handler = (event: unknown) => Promise<unknown>;
const handlers = new Map<string, Promise<Handler>>();

export interface Invocation {
  handlerPath: string;
  event: unknown;
}

export type InvocationOutcome = { ok: true; result: unknown } | { ok: false; error: ReturnType<typeof toLambdaErrorPayload> };

export default async function invoke({ handlerPath, event }: Invocation): Promise<InvocationOutcome> {
  try {
    let handler = handlers.get(handlerPath);
    if (!handler) {
      handler = import(pathToFileURL(handlerPath).href).then((module: { handler: Handler }) => module.handler);
      handlers.set(handlerPath, handler);
    }
    // JSON round trip: what a Lambda returns is what Step Functions sees.
    const result = await (await handler)(event);
    return { ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
  } catch (error) {
    return { ok: false, error: toLambdaErrorPayload(error) };
  }
}
