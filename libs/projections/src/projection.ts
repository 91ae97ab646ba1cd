import { EventEnvelope, LogSequence } from '@streamfold/core';
import type { Sql } from '@streamfold/runtime';

/** What a projection or processor sees of one delivered event. */
export interface Delivery {
  envelope: EventEnvelope;
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  /** Relay order of event-sourced events; null for telemetry. */
  sequence: LogSequence | null;
}

export interface ProjectionContext {
  /** The open transaction: effects here commit atomically with the checkpoint. */
  sql: Sql;
  /** Physical name of a read-model table of the version being built, e.g. table('like_counts') → "like_counts_v2". */
  table(base: string): string;
  version: number;
}

/**
 * A projection folds events into PostgreSQL read-model tables. Tables are versioned
 * (`<base>_v<n>`) and readers use a view `<base>` that points at the active version, so a rebuild
 * fills a new version beside the live one and swaps the views in one transaction.
 */
export interface ProjectionDefinition {
  /** Stable name, e.g. "social.post_counts". */
  name: string;
  /** Logical topics it consumes. */
  topics: string[];
  /** Base names of the tables readers use through views. */
  tables: string[];
  /** Creates the tables of one version (idempotent: CREATE TABLE IF NOT EXISTS ...). */
  setup(ctx: ProjectionContext): Promise<void>;
  /** Applies a batch of new (already de-duplicated) events, in partition order. Throwing retries, then dead-letters. */
  apply(deliveries: Delivery[], ctx: ProjectionContext): Promise<void>;
  /** Event types it needs; others are skipped without calling apply (they still advance the checkpoint). */
  handles?: string[];
}
