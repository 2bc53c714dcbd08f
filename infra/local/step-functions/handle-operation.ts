/**
 * The Step Functions API operations the local endpoint answers: each request parsed with the
 * shape the AWS SDK sends, answered with the shape it expects (timestamps in epoch seconds).
 */
import { z } from 'zod';
import { ApiError } from './api-error.ts';
import type { ExecutionSummary } from './execution-index.ts';
import type { ExecutionRecord, ExecutionRegistry } from './execution-registry.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';

const ExecutionArn = z.string().min(1).max(256);
const MaxResults = z.number().int().min(0).max(1000).optional();
const NextToken = z.string().min(1).max(1024).optional();
const ExecutionStatus = z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);

type Operation = (registry: ExecutionRegistry, body: unknown) => Promise<object>;

const operations: Record<string, Operation> = {
  async StartExecution(registry, body) {
    const request = parse(z.object({ stateMachineArn: z.string().min(1), name: z.string().optional(), input: z.string().optional() }), body);
    const record = registry.start(request);
    return { executionArn: record.executionArn, startDate: seconds(record.startDate) };
  },

  async DescribeExecution(registry, body) {
    const request = parse(z.object({ executionArn: ExecutionArn }), body);
    return describeExecution(await registry.describe(request.executionArn));
  },

  async ListExecutions(registry, body) {
    const request = parse(
      z.object({ stateMachineArn: z.string().min(1).optional(), statusFilter: ExecutionStatus.optional(), maxResults: MaxResults, nextToken: NextToken }),
      body,
    );
    // AWS also lists a Map Run's child executions by mapRunArn; local Distributed Maps run inline and have none.
    if (request.stateMachineArn === undefined) throw new ApiError('ValidationException', 'stateMachineArn is required');
    if (request.statusFilter === 'PENDING_REDRIVE') return { executions: [] };
    const page = registry.list({ ...request, stateMachineArn: request.stateMachineArn, statusFilter: request.statusFilter });
    return { executions: page.items.map(listExecutionItem), nextToken: page.nextToken };
  },

  async GetExecutionHistory(registry, body) {
    const request = parse(
      z.object({
        executionArn: ExecutionArn,
        maxResults: MaxResults,
        nextToken: NextToken,
        reverseOrder: z.boolean().optional(),
        includeExecutionData: z.boolean().optional(),
      }),
      body,
    );
    const page = await registry.history(request);
    return { events: page.items, nextToken: page.nextToken };
  },

  async StopExecution(registry, body) {
    const request = parse(z.object({ executionArn: ExecutionArn, error: z.string().max(256).optional(), cause: z.string().max(32768).optional() }), body);
    const record = await registry.stop(request);
    return { stopDate: seconds(record.stopDate ?? Date.now()) };
  },

  async DescribeStateMachine(registry, body) {
    const request = parse(z.object({ stateMachineArn: z.string().min(1) }), body);
    const machine = registry.stateMachine(request.stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionText,
      roleArn: machine.roleArn,
      type: 'STANDARD',
      creationDate: seconds(machine.creationDate),
    };
  },

  async ListStateMachines(registry, body) {
    const request = parse(z.object({ maxResults: MaxResults, nextToken: NextToken }), body);
    const machines = registry.stateMachines();
    const start = request.nextToken === undefined ? 0 : decodePageToken(request.nextToken);
    const end = start + (request.maxResults === undefined || request.maxResults === 0 ? 100 : request.maxResults);
    return {
      stateMachines: machines
        .slice(start, end)
        .map((machine) => ({ stateMachineArn: machine.arn, name: machine.name, type: 'STANDARD', creationDate: seconds(machine.creationDate) })),
      nextToken: end < machines.length ? encodePageToken(end) : undefined,
    };
  },
};

/** Runs one operation; throws ApiError for anything the caller should see as a 400. */
export async function handleOperation(registry: ExecutionRegistry, operation: string, body: unknown): Promise<object> {
  const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
  if (run === undefined) throw new ApiError('UnknownOperationException', `Operation not supported by the local Step Functions endpoint: ${operation}`);
  return run(registry, body);
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError('ValidationException', z.prettifyError(parsed.error));
  return parsed.data;
}

function describeExecution(record: ExecutionRecord): object {
  return {
    ...listExecutionItem(record),
    input: record.input,
    inputDetails: { included: true },
    output: record.output,
    outputDetails: record.output === undefined ? undefined : { included: true },
    error: record.error,
    cause: record.cause,
  };
}

function listExecutionItem(record: ExecutionSummary | ExecutionRecord): object {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: seconds(record.startDate),
    stopDate: record.stopDate === undefined ? undefined : seconds(record.stopDate),
  };
}

/** The AWS JSON protocol sends timestamps as epoch seconds. */
function seconds(epochMillis: number): number {
  return epochMillis / 1000;
}
