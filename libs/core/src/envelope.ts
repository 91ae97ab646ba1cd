/**
 * An event as stored and as carried on Kafka. `type` is the stable wire name (never renamed: add
 * a new type instead); `data` is the payload at `schemaVersion`.
 */
export interface EventEnvelope<Type extends string = string, Data = unknown> {
  eventId: string;
  type: Type;
  schemaVersion: number;
  streamId: string;
  /** 1-based position in its stream; null for telemetry (not event-sourced). */
  streamPosition: number | null;
  /** Position in the global log; null for telemetry. */
  globalPosition: string | null;
  /** Event time (ISO 8601): when it happened in the domain. Windows and joins use this. */
  occurredAt: string;
  /** When the store recorded it (ISO 8601). */
  recordedAt: string;
  correlationId: string | null;
  causationId: string | null;
  /** Who caused it (a user id, "system", a processor name). */
  actor: string | null;
  data: Data;
}

/** What a decider returns: the event before the store gives it identity and positions. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/** Context an append stores on every event it writes, beside the decider's type and data. */
export interface EventMetadata {
  /** Event time; defaults to the clock of the command. */
  occurredAt?: Date;
  correlationId?: string | null;
  causationId?: string | null;
  actor?: string | null;
}

/**
 * Order of an event-sourced event in the relay's log: (transaction id, global position). The
 * relay publishes in this order, so within a Kafka partition it only grows; consumers keep the
 * highest applied and drop anything not above it (re-sends after a relay crash).
 */
export interface LogSequence {
  txId: string;
  position: string;
}

/** Orders two sequences as the relay publishes them: by transaction id, then global position. */
export function compareSequence(a: LogSequence, b: LogSequence): number {
  return compareDecimal(a.txId, b.txId) || compareDecimal(a.position, b.position);
}

/**
 * Orders two non-negative decimal integers given as text without BigInt (consumers call this per
 * message): without leading zeros the longer is larger, and equal lengths order as text.
 */
function compareDecimal(a: string, b: string): number {
  if ((a.length > 1 && a[0] === '0') || (b.length > 1 && b[0] === '0')) {
    const d = BigInt(a) - BigInt(b);
    return d === 0n ? 0 : d < 0n ? -1 : 1;
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** The `sf-seq` header form, `txId:position`; parseSequence reads it back. */
export function formatSequence(seq: LogSequence): string {
  return `${seq.txId}:${seq.position}`;
}

/** Reads an `sf-seq` header; null when absent or malformed (telemetry carries none). */
export function parseSequence(raw: string | undefined): LogSequence | null {
  if (!raw) return null;
  const match = /^(\d+):(\d+)$/.exec(raw);
  return match ? { txId: match[1], position: match[2] } : null;
}
