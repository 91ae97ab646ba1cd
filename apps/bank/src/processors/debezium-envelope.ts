import { EventEnvelope, MalformedMessage } from '@streamfold/core';
import type { LogMessage } from '@streamfold/messaging';

/**
 * What change data capture says about one row of the core `transactions` table: Debezium's
 * envelope (`{ before, after, source, op }`, JSON converter without schemas), or the same shape
 * from the embedded polling source. It is not a domain event yet: the CDC processor decides what
 * it means.
 */
export const CORE_ROW_CHANGED = 'bank.CoreTransactionRowChanged';

export interface CoreTransactionRow {
  id: number | string;
  account_id: number | string;
  user_id: string;
  /** NUMERIC as a string (decimal.handling.mode=string). */
  amount: string;
  currency: string;
  status: string;
  /** ISO time (Debezium's io.debezium.time.ZonedTimestamp). */
  created_at: string;
}

export interface CoreRowChange {
  op: 'c' | 'r' | 'u' | 'd';
  row: CoreTransactionRow;
  /** Position in the core database's WAL (Debezium); null from the polling source. */
  lsn: string | null;
  txId: string | null;
  /** Commit time (source.ts_ms); for snapshot rows (op r) Debezium gives the snapshot's time, so the row's created_at is used. */
  committedAtMs: number;
  source: 'debezium' | 'polling';
}

interface DebeziumValue {
  before: CoreTransactionRow | null;
  after: CoreTransactionRow | null;
  source: { ts_ms: number; lsn?: number | string | null; txId?: number | string | null; connector?: string };
  op: CoreRowChange['op'];
}

/**
 * The `decode` of the CDC processor (ProjectionDefinition.decode): Debezium's envelope to a
 * Streamfold envelope. Tombstones (empty value after a delete) are skipped. The event id is the
 * source position (LSN, row, op), so the same change re-sent by Connect has the same id.
 */
export function decodeCoreRowChange(message: LogMessage): EventEnvelope<typeof CORE_ROW_CHANGED, CoreRowChange> | null {
  if (message.value === null || message.value.length === 0) return null;
  let parsed: any;
  try {
    parsed = JSON.parse(message.value.toString('utf8'));
  } catch {
    throw new MalformedMessage('a change event must be JSON');
  }
  // With value.converter.schemas.enable=true the envelope sits under `payload`.
  const value: DebeziumValue = parsed?.schema && parsed?.payload ? parsed.payload : parsed;
  if (value === null) return null;
  if (!value.source || !['c', 'r', 'u', 'd'].includes(value.op)) throw new MalformedMessage(`not a Debezium change event (op ${value?.op})`);
  const row = value.after ?? value.before;
  if (!row || row.id === undefined) throw new MalformedMessage(`change event without a row (op ${value.op})`);
  const committedAtMs = value.op === 'r' ? Date.parse(row.created_at) : Number(value.source.ts_ms);
  if (!Number.isFinite(committedAtMs)) throw new MalformedMessage(`change event without a usable time (op ${value.op})`);
  const lsn = value.source.lsn === undefined || value.source.lsn === null ? null : String(value.source.lsn);
  const txId = value.source.txId === undefined || value.source.txId === null ? null : String(value.source.txId);
  const source = value.source.connector === 'streamfold-polling' ? 'polling' : 'debezium';
  const at = new Date(committedAtMs).toISOString();
  return {
    eventId: `corebank-${lsn ?? 'poll'}-${row.id}-${value.op}`,
    type: CORE_ROW_CHANGED,
    schemaVersion: 1,
    streamId: `core-transaction-${row.id}`,
    streamPosition: null,
    globalPosition: null,
    occurredAt: at,
    recordedAt: new Date(message.timestamp || committedAtMs).toISOString(),
    correlationId: null,
    causationId: null,
    actor: source,
    data: { op: value.op, row, lsn, txId, committedAtMs, source },
  };
}
