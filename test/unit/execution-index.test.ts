import { describe, expect, it } from 'vitest';
import { ExecutionIndex, type ListRequest } from '../../infra/local/step-functions/execution-index.ts';
import type { ExecutionStatus } from '../../infra/local/step-functions/execution-registry.ts';

const ARN = 'arn:aws:states:us-east-1:0:stateMachine:m';
const OTHER = 'arn:aws:states:us-east-1:0:stateMachine:other';
const summary = (name: string, startDate: number, status: ExecutionStatus = 'SUCCEEDED', stateMachineArn = ARN) => ({
  executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
  stateMachineArn,
  name,
  status,
  startDate,
  ...(status === 'RUNNING' ? {} : { stopDate: startDate + 10 }),
});
const request = (change: Partial<ListRequest> = {}): ListRequest => ({ stateMachineArn: ARN, maxResults: 100, closedAfter: 0, ...change });
const names = (index: ExecutionIndex, change: Partial<ListRequest> = {}) => index.list(request(change)).items.map((item) => item.name);

describe('ExecutionIndex', () => {
  it('lists newest start first, whatever order the journal was written in, the latest line winning', () => {
    const index = ExecutionIndex.load([summary('b', 200), summary('a', 100), summary('c', 300, 'FAILED'), summary('a', 150, 'ABORTED')]);

    expect(names(index)).toEqual(['c', 'b', 'a']);
    expect(index.list(request()).items.at(-1)).toMatchObject({ status: 'ABORTED', startDate: 150 });
  });

  it('orders starts in the same millisecond by start order, and places an older start by its date', () => {
    const index = ExecutionIndex.load([summary('old', 100)]);
    index.add(summary('first', 500, 'RUNNING'));
    index.add(summary('second', 500, 'RUNNING'));
    index.add(summary('clock-went-back', 300, 'RUNNING'));

    expect(names(index)).toEqual(['second', 'first', 'clock-went-back', 'old']);
  });

  it.each([
    ['another state machine', request({ stateMachineArn: OTHER }), ['elsewhere']],
    ['a status', request({ statusFilter: 'RUNNING' }), ['running']],
    ['closed before the retention window', request({ closedAfter: 150 }), ['recent', 'running']],
  ])('filters by %s', (_, listRequest, expected) => {
    const index = ExecutionIndex.load([summary('expired', 100), summary('recent', 200), summary('elsewhere', 250, 'SUCCEEDED', OTHER)]);
    index.add(summary('running', 50, 'RUNNING'));

    expect(index.list(listRequest).items.map((item) => item.name)).toEqual(expected);
  });

  it('pages by key: starts and status changes between pages neither repeat nor skip', () => {
    const index = ExecutionIndex.load([1, 2, 3, 4, 5].map((n) => summary(`e${n}`, n * 100)));
    const first = index.list(request({ maxResults: 2 }));
    index.add(summary('newer', 900, 'RUNNING'));
    index.update(summary('e3', 0).executionArn, { status: 'FAILED', stopDate: 310 });
    const second = index.list(request({ maxResults: 2, nextToken: first.nextToken }));
    const third = index.list(request({ maxResults: 2, nextToken: second.nextToken }));

    expect(first.items.map((item) => item.name)).toEqual(['e5', 'e4']);
    expect(second.items.map((item) => item.name)).toEqual(['e3', 'e2']);
    expect(third.items.map((item) => item.name)).toEqual(['e1']);
    expect(third.nextToken).toBeUndefined();
    expect(() => index.list(request({ nextToken: 'bm9wZQ' }))).toThrow(expect.objectContaining({ name: 'InvalidToken' }));
  });

  it('forgets a removed execution', () => {
    const index = ExecutionIndex.load([summary('a', 100), summary('b', 200)]);
    index.remove(summary('a', 0).executionArn);

    expect(names(index)).toEqual(['b']);
  });
});
