import { DomainEvent, EventEnvelope, EventMetadata, LogSequence } from '@streamfold/core';
import type { Sql } from '@streamfold/runtime';

/**
 * Optimistic concurrency on append:
 *   'any'        append whatever the stream's version
 *   'no_stream'  the stream must not exist yet
 *   n (>= 0)     the stream must be exactly at version n (0 = empty)
 */
export type ExpectedVersion = 'any' | 'no_stream' | number;

/** How to append: the concurrency check, the idempotency key and the transaction to join. */
export interface AppendOptions {
  expectedVersion: ExpectedVersion;
  metadata?: EventMetadata;
  /**
   * Idempotency key: appending again with the same id appends nothing and returns the first
   * result (`duplicate: true`).
   */
  commandId?: string;
  /** Stored with the command id and returned to a duplicate (e.g. `{ postId }`). */
  commandResult?: unknown;
  /**
   * commandFingerprint() of the command's input, stored with the command id: a repeat whose
   * fingerprint differs throws IdempotencyKeyReused (422) and appends nothing. @default none (the id alone decides)
   */
  commandFingerprint?: string;
  /**
   * Runs inside an open transaction (a processor committing its output with its checkpoint).
   * Without it, the store opens and commits its own. In a caller's transaction the append may
   * throw StreamOrderConflict (SQLSTATE 40001): nothing was written; run the transaction again.
   */
  sql?: Sql;
  /**
   * Inside `sql`: wrap the append in a savepoint, so a refused append leaves the caller's
   * transaction usable (it may catch the error and commit the rest). A caller that lets any
   * append error end its transaction (a processor's batch, rolled back and retried whole) passes
   * false and saves two round trips per append. @default true
   */
  savepoint?: boolean;
}

/** Events for one stream in a multi-stream append (ManyStreamAppender). */
export interface StreamAppend {
  streamId: string;
  events: DomainEvent[];
  metadata?: EventMetadata;
}

/**
 * Appends to many streams in one round trip inside the caller's open transaction, each stream
 * with expectedVersion 'any' (a processor's output for a whole batch). Stream order and relay
 * order hold as for `append`: events are stored in the given order. No savepoint: when it throws
 * (StreamOrderConflict, SQLSTATE 40001, or a validation error) part of the output may be written,
 * so the caller must roll its transaction back and run it again.
 */
export interface ManyStreamAppender {
  appendMany(appends: readonly StreamAppend[], options: { sql: Sql }): Promise<void>;
}

/** What an append stored, or, for a repeated command id, what the first append stored. */
export interface AppendResult {
  streamId: string;
  /** Stream version after the append. */
  nextVersion: number;
  envelopes: EventEnvelope[];
  duplicate: boolean;
  commandResult?: unknown;
}

/** An event as read from the global log, with its position in relay order (transaction id, global position). */
export interface StoredEvent extends EventEnvelope {
  sequence: LogSequence;
}

/**
 * The system of record and the outbox (docs/architecture.md, invariants 1-3). An append stores all
 * its events or none, in one transaction, in stream order; a command id makes it idempotent.
 * Errors, each with nothing written: ConcurrencyConflict when expectedVersion fails (reload and
 * decide again, as executeCommand does within maxRetries); StreamOrderConflict (40001) in a
 * caller's transaction (re-run that whole transaction; the store retries its own).
 */
export interface EventStore {
  /** Throws ConcurrencyConflict (from @streamfold/core) when expectedVersion does not hold; writes nothing then. */
  append(streamId: string, events: DomainEvent[], options: AppendOptions): Promise<AppendResult>;
  /** Events of one stream in order, upcast to the current schema, with the stream's version. */
  readStream(streamId: string): Promise<{ version: number; events: EventEnvelope[] }>;
  /**
   * The global log after `after` (exclusive; null = from the start), in relay order, at most
   * `limit` events, never skipping an event whose transaction commits later (gap-safe).
   */
  readAll(after: LogSequence | null, limit: number): Promise<StoredEvent[]>;
  /** Sequence of the last event readAll can currently return (null when empty). */
  head(): Promise<LogSequence | null>;
}

/** Nest injection token of the process's EventStore. */
export const EVENT_STORE = Symbol('EVENT_STORE');
