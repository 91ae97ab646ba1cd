import { formatSequence, fromWire, LogSequence, HEADER, parseSequence } from '@streamfold/core';
import type { LogMessage } from '@streamfold/messaging';
import { HourKey, hourKeyOf } from './lake-layout';
import type { StageRow } from './stage-table';

export function sequenceOf(message: LogMessage): LogSequence | null {
  return parseSequence(message.headers[HEADER.sequence]);
}

/** A message consumed but not written (a relay re-send): its offset still joins a file's range. */
export function skipped(offset: number): StageRow {
  return { offset, hour: null, partition: 0, key: null, seq: null, ts: 0, envelope: null };
}

/**
 * The fast path: no JSON parsing in JavaScript, and the value's bytes go to DuckDB as they are.
 * The framework's producers set the Kafka timestamp to the event time (see toWire), so the hour
 * folder comes from it; DuckDB then checks every row (an envelope, occurredAt equal to that
 * timestamp) and the sink falls back to stageExactly for the whole flush when one is not. Null
 * for an empty value (never an envelope).
 */
export function stageFast(message: LogMessage, sequence: LogSequence | null): StageRow | null {
  if (message.value.length === 0) return null;
  // A parsed sequence's header already is its text form (formatSequence of it gives it back).
  const seq = sequence && message.headers[HEADER.sequence];
  return { offset: message.offset, hour: hourKeyOf(message.timestamp), partition: message.partition, key: message.key, seq, ts: message.timestamp, envelope: message.value };
}

/** The exact path: parses the envelope; event time from its occurredAt. */
export function stageExactly(message: LogMessage, sequence: LogSequence | null): { staged: StageRow; malformed: string | null } {
  try {
    const { envelope } = fromWire(message.value);
    const occurredAt = Date.parse(envelope.occurredAt);
    if (!Number.isFinite(occurredAt)) throw new Error(`occurredAt "${envelope.occurredAt}" is not a date`);
    const staged: StageRow = { offset: message.offset, hour: hourKeyOf(occurredAt), partition: message.partition, key: message.key, seq: sequence && formatSequence(sequence), ts: occurredAt, envelope: JSON.stringify(envelope) };
    return { staged, malformed: null };
  } catch (error) {
    return { staged: skipped(message.offset), malformed: (error as Error).message };
  }
}

/** One staged JSON line for read_json (backfill); `envelopeJson` is inserted as is (it must be one line of JSON). */
export function stagedLine(partition: number | null, offset: number | null, key: string | null, sequence: LogSequence | null, eventTimeMs: number, envelopeJson: string): string {
  const seq = sequence ? `"${sequence.txId}:${sequence.position}"` : 'null';
  return `{"p":${partition},"o":${offset},"k":${key === null ? 'null' : JSON.stringify(key)},"q":${seq},"ts":${eventTimeMs},"e":${envelopeJson}}`;
}

/** Consecutive offsets whose rows share one hour folder: one file each. */
export interface Run {
  first: number;
  last: number;
  hour: HourKey;
  /** Every message of the range, written or not, in offset order. */
  rows: StageRow[];
  /** How many of them are written (envelope not null). */
  written: number;
}

/**
 * Cuts a partition's staged messages (in offset order) into runs, each a contiguous offset range
 * within one hour. Written in order, a crash leaves a prefix of the runs on disk, so "resume after
 * the highest last offset" stays exact. Skipped messages join the run around them; a tail of
 * skipped messages only (no rows) yields no file and is simply read (and skipped) again.
 */
export function splitIntoRuns(staged: StageRow[]): Run[] {
  const runs: Run[] = [];
  let current: { first: number; last: number; hour: HourKey | null; rows: StageRow[]; written: number } | null = null;
  for (const m of staged) {
    if (current && m.hour !== null && current.hour !== null && m.hour !== current.hour) {
      runs.push(current as Run);
      current = null;
    }
    if (!current) current = { first: m.offset, last: m.offset, hour: m.hour, rows: [], written: 0 };
    current.last = m.offset;
    if (m.hour !== null) current.hour = m.hour;
    current.rows.push(m);
    if (m.envelope !== null) current.written++;
  }
  if (current && current.hour !== null) runs.push(current as Run);
  return runs;
}
