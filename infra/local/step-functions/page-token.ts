/** Opaque nextToken values, which the client hands back unchanged: a position in a listing, or a listing's key. */
import { z } from 'zod';
import { ApiError } from './api-error.ts';

const PageToken = z.object({ position: z.number().int().min(0) });
/** Where a page of ListExecutions ended: the last execution's start and start order. */
const ListToken = z.strictObject({ startDate: z.number(), seq: z.number().int().min(0) });
export type ListToken = z.infer<typeof ListToken>;

export function encodePageToken(position: number): string {
  return encode({ position });
}

export function decodePageToken(token: string): number {
  return decode(PageToken, token).position;
}

export function encodeListToken(key: ListToken): string {
  return encode(key);
}

export function decodeListToken(token: string): ListToken {
  return decode(ListToken, token);
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decode<T>(schema: z.ZodType<T>, token: string): T {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // Not JSON: reported below like any other token we did not issue.
  }
  throw new ApiError('InvalidToken', `Invalid Token: '${token}'`);
}
