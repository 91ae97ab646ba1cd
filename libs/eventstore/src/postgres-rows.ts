import { EventEnvelope } from '@streamfold/core';
import { StoredEvent } from './event-store.port';

/** sf_events as selected by EVENT_COLUMNS: bigints and xid8 as text, so nothing loses precision. */
export interface EventRow {
  global_position: string;
  tx_id: string;
  event_id: string;
  stream_id: string;
  stream_position: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: { correlationId?: string | null; causationId?: string | null; actor?: string | null };
  occurred_at: Date;
  recorded_at: Date;
}

/**
 * Output names repeat the column names with text values, so an ORDER BY must qualify its columns
 * (sf_events.global_position): a bare name would sort the text output ("100" before "98").
 */
export const EVENT_COLUMNS = `global_position::text AS global_position, tx_id::text AS tx_id, event_id::text AS event_id,
  stream_id, stream_position::text AS stream_position, type, schema_version, data, metadata, occurred_at, recorded_at`;

/**
 * Rows readAll may return: only transactions older than every transaction still running. A
 * global_position is drawn before its transaction commits, so "position > last" alone would skip
 * a slow transaction's events once a faster, later one was read (invariant 3 of docs/architecture.md). Every xid
 * below the snapshot's xmin has finished, and any later writer gets a larger xid, so nothing can
 * appear behind a (tx_id, global_position) checkpoint taken from these rows.
 */
export const FINISHED_TRANSACTIONS = `tx_id < pg_snapshot_xmin(pg_current_snapshot())`;

/**
 * A horizon below which every transaction that could still write `sf_events` has finished: the
 * oldest transaction still open **in this database** (or, when none, the snapshot's xmax).
 * Transactions of other databases on the same server can never write this table, yet they hold
 * the server-wide xmin back, and with it the relay (a long transaction next door delayed
 * publishing by seconds). Use it in a LATER statement than the one that computed it: the activity
 * list is read after the statement's snapshot, so a transaction that ended in between is missing
 * from it, and only a later snapshot is sure to see its rows. A transaction that takes an xid
 * afterwards gets one at or above the snapshot's xmax, so it cannot land below the horizon.
 * Top-level xids match the activity list's 32-bit `backend_xid` by their low 32 bits (every
 * running xid lies within 2^31 of the others). When another role's sessions in this database
 * are hidden from us, their xids are unknown: fall back to the server-wide xmin.
 * The activity and prepared-transaction lists are read through their functions, not the
 * pg_stat_activity and pg_prepared_xacts views: the views' joins made this statement cost about
 * 3 ms of PostgreSQL CPU, and the relay runs it every round (every 25 ms when idle). The query is
 * the PL/pgSQL function `sf_database_horizon()` (framework migration DatabaseHorizon1764500000000),
 * so a session plans it once instead of every round (0.69 against 0.19–0.22 ms of PostgreSQL CPU).
 */
export const HORIZON_CALL = 'sf_database_horizon()';
/** The horizon as a statement of its own (one row, `horizon`). */
export const DATABASE_HORIZON = `SELECT ${HORIZON_CALL} AS horizon`;

export function rowToStoredEvent(row: EventRow): StoredEvent {
  return { ...rowToEnvelope(row), sequence: { txId: row.tx_id, position: row.global_position } };
}

export function rowToEnvelope(row: EventRow): EventEnvelope {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    streamId: row.stream_id,
    streamPosition: Number(row.stream_position),
    globalPosition: row.global_position,
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    correlationId: row.metadata?.correlationId ?? null,
    causationId: row.metadata?.causationId ?? null,
    actor: row.metadata?.actor ?? null,
    data: row.data,
  };
}
