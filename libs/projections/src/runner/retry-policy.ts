import { NO_EVENTS_REFUSED } from '@streamfold/runtime';

/** How a runner treats an `apply` that throws (invariant 7 of docs/architecture.md: never stall a partition forever). */
export interface RetryPolicy {
  /** Attempts of a whole batch in one transaction before falling back to one event per transaction. @default 3 */
  batchAttempts: number;
  /** Attempts of a single event (one per transaction) before it is dead-lettered. @default 5 */
  maxAttempts: number;
  /** Wait before the first retry; doubles on each further retry. @default 100 */
  initialBackoffMs: number;
  /** Upper bound of one wait. @default 5000 */
  maxBackoffMs: number;
}

/** The retry policy a runner uses when none is given: 3 batch attempts, 5 single, 100 ms to 5 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  batchAttempts: 3,
  maxAttempts: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 5000,
};

/** DEFAULT_RETRY_POLICY with `overrides`; throws at configuration time when the result is unusable. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  if (!Number.isInteger(policy.batchAttempts) || policy.batchAttempts < 1) throw new Error('retry.batchAttempts must be an integer >= 1');
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) throw new Error('retry.maxAttempts must be an integer >= 1');
  if (policy.initialBackoffMs < 0 || policy.maxBackoffMs < policy.initialBackoffMs) throw new Error('retry backoff must satisfy 0 <= initialBackoffMs <= maxBackoffMs');
  return policy;
}

/** Wait before retry number `retry` (1-based). */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.initialBackoffMs * 2 ** (retry - 1), policy.maxBackoffMs);
}

/** Resolves after `ms` milliseconds; cannot be cancelled. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `apply` threw: the event (or batch) is at fault, as opposed to the database or the broker. */
export class ApplyFailed extends Error {
  override name = 'ApplyFailed';
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Thrown out of a batch when the runner stops or loses the partition mid-retry: nothing is committed, the batch comes again. */
export class PartitionReleased extends Error {
  override name = 'PartitionReleased';
}

// SQLSTATE classes and socket errors that say "the database or the network failed", not "this
// event is poison": such a batch is handed back to the log for redelivery instead of counting
// towards dead-lettering, so an outage never dead-letters healthy events.
const TRANSIENT_SQLSTATE = /^(08|53|57P|40001|40P01)/;
const TRANSIENT_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/**
 * Whether an error comes from the database or the network (connection loss, 40001, deadlock)
 * rather than from the event: the runner hands such a batch back for redelivery instead of
 * counting an attempt towards dead-lettering.
 */
export function isInfrastructureError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && (TRANSIENT_SQLSTATE.test(e.code) || TRANSIENT_SOCKET.has(e.code))) return true;
  return typeof e.message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(e.message);
}

/**
 * Whether a batch whose `apply` threw goes back to the log as it is, without counting an attempt
 * towards dead-lettering: the database or the network failed (isInfrastructureError), or the
 * database refused an append in a read model's transaction (SQLSTATE NO_EVENTS_REFUSED, see
 * `ProjectionKind`): the definition is at fault, not the event, and the error, which says what to
 * change, repeats until the definition is fixed.
 */
export function handsBatchBack(error: unknown): boolean {
  return isInfrastructureError(error) || (error as { code?: unknown } | null)?.code === NO_EVENTS_REFUSED;
}
