/**
 * When to try a failed webhook again: exponential from `baseMs`, capped at `capMs`, with
 * optional full jitter (a random delay up to the step, so receivers coming back are not hit by
 * every sender at once). The same schedule drives the SQS visibility timeout on AWS and the
 * local dispatcher's retries.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  factor?: number;
  /** 0..1 → the fraction of the step drawn at random; leave out for a fixed schedule. */
  random?: () => number;
}

/** Attempts before a delivery is dead-lettered, first one included (SQS's maxReceiveCount on AWS). */
export const WEBHOOK_MAX_ATTEMPTS = 8;

/** 30 s, 1 min, 2 min, ... capped at 15 min: the 8th and last attempt comes some 45 minutes after the first. */
export const WEBHOOK_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 15 * 60_000 };

/** The delay after failed attempt number `attempt` (1 = the first attempt failed). */
export function webhookBackoff(attempt: number, { baseMs, capMs, factor = 2, random }: BackoffPolicy): number {
  const step = Math.min(capMs, baseMs * factor ** Math.max(0, attempt - 1));
  return random ? Math.round(step * random()) : step;
}
