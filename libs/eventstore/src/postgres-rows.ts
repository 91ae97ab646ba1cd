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
