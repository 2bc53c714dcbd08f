/** Opaque nextToken values: a position in a listing, which the client hands back unchanged. */
import { z } from 'zod';
import { ApiError } from './api-error.ts';

const PageToken = z.object({ position: z.number().int().min(0) });

export function encodePageToken(position: number): string {
  return Buffer.from(JSON.stringify({ position }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string): number {
  try {
    const parsed = PageToken.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data.position;
  } catch {
    // Not JSON: reported below like any other token we did not issue.
  }
  throw new ApiError('InvalidToken', `Invalid Token: '${token}'`);
}
