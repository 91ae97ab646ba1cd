import type { DomainEvent, EventEnvelope, LogSequence } from '@streamfold/core';
import type { LogMessage } from '@streamfold/messaging';
import type { Sql } from '@streamfold/runtime';

/**
 * The envelope of one event of a union, kept discriminated by `type`: a `switch` over
 * `envelope.type` narrows `envelope.data` without a cast.
 */
export type EnvelopeOf<E extends DomainEvent> = E extends DomainEvent<infer T, infer D> ? EventEnvelope<T, D> : never;

/** What a projection or processor sees of one delivered event. */
export interface Delivery<E extends DomainEvent = DomainEvent> {
  envelope: EnvelopeOf<E>;
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  /** Relay order of event-sourced events; null for telemetry. */
  sequence: LogSequence | null;
}

/** What `setup` and `apply` get: the open transaction and the version's table names. */
export interface ProjectionContext {
  /** The open transaction: effects here commit atomically with the checkpoint. */
  sql: Sql;
  /** Physical name of a read-model table of the version being built, e.g. table('like_counts') → "like_counts_v2". */
  table(base: string): string;
  version: number;
}

/**
 * 'projection' folds events into read-model tables (rebuildable beside the live version); its
 * transactions append no events (`TransactionOptions.appendsEvents: false`), so the relay does
 * not wait for them, and an append in its `apply` is refused (SQLSTATE `SF001`, the batch is
 * handed back, nothing dead-lettered). 'processor' folds them into state and new events (its
 * output is already in the log, so it is never rebuilt: a rebuild would emit everything again).
 */
export type ProjectionKind = 'projection' | 'processor';

/**
 * Something the runner applies exactly once per event: a projection folding events into
 * PostgreSQL read-model tables, or a processor emitting new events. Tables are versioned
 * (`<base>_v<n>`) and readers use a view `<base>` that points at the active version, so a rebuild
 * fills a new version beside the live one and swaps the views in one transaction.
 *
 * `E` is the union of events it handles: `apply` receives deliveries narrowed to it. Build one
 * with `defineProjection` (or `defineProcessor` / `defineBatchProcessor`) rather than by hand.
 */
export interface ProjectionDefinition<E extends DomainEvent = DomainEvent> {
  /** Stable name, e.g. "social.post_counts". */
  name: string;
  kind: ProjectionKind;
  /** Logical topics it consumes. */
  topics: string[];
  /** Base names of the tables readers use through views (none for a processor). */
  tables: string[];
  /** Creates the tables of one version (idempotent: CREATE TABLE IF NOT EXISTS ...). */
  setup(ctx: ProjectionContext): Promise<void>;
  /** Applies a batch of new (already de-duplicated) events, in partition order (see applyScope). Throwing retries, then dead-letters. */
  apply(deliveries: Array<Delivery<E>>, ctx: ProjectionContext): Promise<void>;
  /** Event types it needs; others are skipped without calling apply (they still advance the checkpoint). @default every type */
  handles?: ReadonlyArray<E['type']>;
  /**
   * Reads a foreign topic: one whose messages are not Streamfold envelopes (Debezium change
   * events, another system's JSON). Maps a raw message to an envelope (give it a stable `eventId`
   * derived from the source, so redeliveries are recognisable), or null to skip it (tombstones,
   * heartbeats; the checkpoint still moves). Throwing dead-letters the message with the error.
   * Exactly-once holds per offset as for any topic; a source that re-sends at new offsets
   * (Kafka Connect after a crash) must be de-duplicated by the definition, by source position.
   * @default the Streamfold wire format (`fromWire`)
   */
  decode?: MessageDecoder;
  /**
   * What one `apply` call receives when the runner commits several partitions' batches in one
   * transaction. 'partition': one partition's batch per call, as rules that judge order or
   * lateness per partition need (a watermark per partition). 'transaction': every partition of
   * the transaction in one call (each partition's events in order, partitions one after another),
   * for folds that do not care which partition an event came from (counters, keyed upserts): the
   * transaction then costs one round trip per statement instead of one per partition. When that
   * call throws, every partition of it is retried alone. @default 'partition'
   */
  applyScope?: 'partition' | 'transaction';
  /**
   * How long the runner gathers partition batches into one transaction, ms (a runner's explicit
   * fetchWindow wins). Longer means fewer, larger transactions and later results; a processor
   * that emits once per key per transaction emits once per key per this window. 0 gathers one
   * fetch's partition batches (handed over together) with no wait. On Kafka a window up to 5 s
   * is gathered by the broker, which holds each fetch for it (`ConsumeOptions.fetchGather`), and the
   * runner applies what it hands over at once; a longer window, or a log that cannot hold a fetch,
   * is held in the runner. @default 0
   */
  gatherMs?: number;
}

/** See `ProjectionDefinition.decode`. */
export type MessageDecoder = (message: LogMessage) => EventEnvelope | null;

/** A projection as its author writes it: typed by the events it handles, which it must list. */
export interface ProjectionSpec<E extends DomainEvent> extends Omit<ProjectionDefinition<E>, 'kind' | 'handles'> {
  handles: ReadonlyArray<E['type']>;
}

/**
 * Declares a read-model projection over the events `E` it handles. The runner delivers only
 * those types, so `apply` switches over `envelope.type` without casts; end the switch with
 * `assertNever` from @streamfold/core to make a missing case a compile error.
 */
export function defineProjection<E extends DomainEvent>(spec: ProjectionSpec<E>): ProjectionDefinition<E> {
  return { ...spec, kind: 'projection' };
}
