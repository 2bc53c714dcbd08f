/**
 * The local Step Functions endpoint: an HTTP server on 127.0.0.1 speaking the AWS JSON 1.0
 * protocol of the Step Functions API, so that @aws-sdk/client-sfn works against it with only
 * `endpoint` overridden. It runs the state machines it is given (the ASL that the CDK app
 * synthesizes) on aws-local-stepfunctions, and every Task through `invokeTask`.
 *
 *   POST /   X-Amz-Target: AWSStepFunctions.<Operation>   Content-Type: application/x-amz-json-1.0
 *   200 {...}  |  400 {"__type": "<ErrorName>", "message": "..."}
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from './api-error.ts';
import type { TaskInvoker } from './build-task-handlers.ts';
import { ExecutionJournal, type JournalEntry } from './execution-journal.ts';
import { ExecutionRegistry, type StartedExecution } from './execution-registry.ts';
import { handleOperation } from './handle-operation.ts';
import { prepareStateMachine, type LocalStateMachine } from './prepare-state-machine.ts';

export type { TaskInvoker } from './build-task-handlers.ts';
export type { JournalEntry } from './execution-journal.ts';
export type { StartedExecution } from './execution-registry.ts';
export type { LocalStateMachine } from './prepare-state-machine.ts';

export interface StepFunctionsServerOptions {
  stateMachines: LocalStateMachine[];
  invokeTask: TaskInvoker;
  /** 0 (the default) picks any free port. */
  port?: number;
  /** JSON-lines file of finished executions, loaded at start; see execution-journal.ts. */
  journalFile?: string;
  /** Told of every execution that ends (what AWS sends EventBridge). */
  onExecutionEnded?: (entry: JournalEntry) => void;
  /** Told of every execution that starts: AWS sends EventBridge its RUNNING status change too. */
  onExecutionStarted?: (execution: StartedExecution) => void;
}

export interface StepFunctionsServer {
  /** `http://127.0.0.1:<port>`, for the SFN client's `endpoint`. */
  endpoint: string;
  /**
   * Stops the host: closes the server and abandons running executions as a crash would (they
   * are not journaled, so the reconcile pass may start them again). Call `idle()` first to
   * let them finish.
   */
  close(): Promise<void>;
  /** Resolves when no execution is running and no task invocation is in flight. */
  idle(): Promise<void>;
}

const TARGET_PREFIX = 'AWSStepFunctions.';
/** A 256 KiB input can grow sixfold as escaped JSON (\u0000); anything larger is not a request we accept. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export async function startStepFunctionsServer(options: StepFunctionsServerOptions): Promise<StepFunctionsServer> {
  const creationDate = Date.now();
  const arns = new Set<string>();
  for (const machine of options.stateMachines) {
    if (arns.has(machine.arn)) throw new Error(`State machine given twice: ${machine.arn}`);
    arns.add(machine.arn);
  }
  const registry = await ExecutionRegistry.open({
    stateMachines: options.stateMachines.map((machine) => prepareStateMachine(machine, creationDate)),
    invokeTask: options.invokeTask,
    journal: options.journalFile === undefined ? undefined : new ExecutionJournal(options.journalFile),
    ...(options.onExecutionEnded ? { onExecutionEnded: options.onExecutionEnded } : {}),
    ...(options.onExecutionStarted ? { onExecutionStarted: options.onExecutionStarted } : {}),
  });

  const server = createServer((request, response) => {
    void respond(registry, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = addressOf(server.address());

  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      await registry.shutdown();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The SDK keeps connections alive; without this, close() waits for them to time out.
      server.closeAllConnections();
      await closed;
    },
    idle: () => registry.idle(),
  };
}

async function respond(registry: ExecutionRegistry, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    const body = await readBody(request);
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
    if (request.method !== 'POST' || operation === undefined) {
      throw new ApiError('UnknownOperationException', `Expected POST / with X-Amz-Target: ${TARGET_PREFIX}<Operation>`);
    }
    send(response, 200, await handleOperation(registry, operation, parseBody(body)));
  } catch (error) {
    if (error instanceof ApiError) {
      send(response, 400, { __type: error.name, message: error.message });
      return;
    }
    console.error('local Step Functions: request failed:', error);
    send(response, 500, { __type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) });
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    // Keep reading (and discarding) so the connection stays usable for the error response.
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  if (size > MAX_BODY_BYTES) throw new ApiError('ValidationException', `Request body over ${MAX_BODY_BYTES} bytes`);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed;
  } catch {
    throw new ApiError('SerializationException', 'The request body is not valid JSON');
  }
}

function send(response: ServerResponse, status: number, payload: object): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text, 'utf8'),
    'x-amzn-requestid': crypto.randomUUID(),
  });
  response.end(text);
}

function addressOf(address: string | AddressInfo | null): AddressInfo {
  if (address === null || typeof address === 'string') throw new Error('The local Step Functions server has no TCP address');
  return address;
}
