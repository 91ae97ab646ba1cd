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
  // Per message on every consumer: a scan, no regular expression and its match array.
  const colon = raw ? sequenceColon(raw) : -1;
  return colon < 0 ? null : { txId: raw!.slice(0, colon), position: raw!.slice(colon + 1) };
}

/**
 * Orders two `sf-seq` header texts as compareSequence orders what parseSequence reads from them,
 * without building either: the sink compares every message's header with the highest it wrote.
 * Both must be well formed (isSequenceText).
 */
export function compareSequenceText(a: string, b: string): number {
  const ca = a.indexOf(':');
  const cb = b.indexOf(':');
  if (a.charCodeAt(0) === 48 || b.charCodeAt(0) === 48 || a.charCodeAt(ca + 1) === 48 || b.charCodeAt(cb + 1) === 48) {
    return compareSequence(parseSequence(a)!, parseSequence(b)!); // leading zeros: rare, not the relay's
  }
  return compareDigits(a, 0, ca, b, 0, cb) || compareDigits(a, ca + 1, a.length, b, cb + 1, b.length);
}

/** True for a well-formed `sf-seq` header text ("txId:position", decimal digits). */
export function isSequenceText(raw: string | undefined): raw is string {
  return raw !== undefined && sequenceColon(raw) >= 0;
}

/** Index of the colon of "digits:digits", -1 when `raw` is not of that form. */
function sequenceColon(raw: string): number {
  let colon = -1;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 58 && colon < 0 && i > 0) colon = i;
    else if (c < 48 || c > 57) return -1;
  }
  return colon < raw.length - 1 ? colon : -1;
}

/** Orders the digit runs a[as, ae) and b[bs, be) (no leading zeros) as numbers. */
function compareDigits(a: string, as: number, ae: number, b: string, bs: number, be: number): number {
  if (ae - as !== be - bs) return ae - as < be - bs ? -1 : 1;
  for (let i = 0; i < ae - as; i++) {
    const d = a.charCodeAt(as + i) - b.charCodeAt(bs + i);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
