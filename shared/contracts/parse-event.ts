/**
 * A function's event, parsed against its contract. A mismatch is never the upload's fault: the
 * caller (the state machine, a hand-started execution) sent the wrong shape. It surfaces as an
 * InternalError with the stable code INTERNAL and the fields zod names, not as a bare ZodError.
 */
import { z } from 'zod';
import { InternalError } from '../errors.ts';

export function parseEvent<Schema extends z.ZodType>(schema: Schema, event: unknown, what: string): z.output<Schema> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) throw new InternalError('INTERNAL', `${what} does not match its contract: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}
