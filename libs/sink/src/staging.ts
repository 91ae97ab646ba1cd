import { fromWire, LogSequence, HEADER, parseSequence } from '@streamfold/core';
import type { LogMessage } from '@streamfold/messaging';
import { HourKey, hourKeyOf } from './lake-layout';

/**
 * A consumed message on its way into a file: one JSON line DuckDB reads with read_json, carrying
 * the raw envelope untouched plus the Kafka coordinates and the event time `ts` (epoch ms).
 * `line` is null for a message that is consumed but not written (a relay re-send or a malformed
 * value): it still belongs to a file's offset range, so the offset is never read again.
 */
export interface StagedMessage {
  offset: number;
  hour: HourKey | null;
  line: string | null;
}

export function skipped(offset: number): StagedMessage {
  return { offset, hour: null, line: null };
}

export function sequenceOf(message: LogMessage): LogSequence | null {
  return parseSequence(message.headers[HEADER.sequence]);
}

/**
 * The fast path: no JSON parsing in JavaScript. The framework's producers set the Kafka timestamp
 * to the event time (see toWire), so the hour folder comes from it; DuckDB then checks every row
 * (an envelope, occurredAt equal to that timestamp) and the sink falls back to stageExactly for
 * the whole flush when one is not. Null when the value cannot go on one line as it is.
 */
export function stageFast(message: LogMessage, sequence: LogSequence | null): StagedMessage | null {
  const raw = message.value.toString('utf8');
  if (raw.includes('\n') || raw.length === 0) return null;
  return { offset: message.offset, hour: hourKeyOf(message.timestamp), line: stagedLine(message.partition, message.offset, message.key, sequence, message.timestamp, raw) };
}

/** The exact path: parses the envelope; event time from its occurredAt. */
export function stageExactly(message: LogMessage, sequence: LogSequence | null): { staged: StagedMessage; malformed: string | null } {
  try {
    const { envelope } = fromWire(message.value);
    const occurredAt = Date.parse(envelope.occurredAt);
    if (!Number.isFinite(occurredAt)) throw new Error(`occurredAt "${envelope.occurredAt}" is not a date`);
    const line = stagedLine(message.partition, message.offset, message.key, sequence, occurredAt, JSON.stringify(envelope));
    return { staged: { offset: message.offset, hour: hourKeyOf(occurredAt), line }, malformed: null };
  } catch (error) {
    return { staged: skipped(message.offset), malformed: (error as Error).message };
  }
}

/** One staged JSON line; `envelopeJson` is inserted as is (it must be one line of JSON). */
export function stagedLine(partition: number | null, offset: number | null, key: string | null, sequence: LogSequence | null, eventTimeMs: number, envelopeJson: string): string {
  const seq = sequence ? `"${sequence.txId}:${sequence.position}"` : 'null';
  return `{"p":${partition},"o":${offset},"k":${key === null ? 'null' : JSON.stringify(key)},"q":${seq},"ts":${eventTimeMs},"e":${envelopeJson}}`;
}

/** Consecutive offsets whose rows share one hour folder: one file each. */
export interface Run {
  first: number;
  last: number;
  hour: HourKey;
  lines: string[];
}

/**
 * Cuts a partition's staged messages (in offset order) into runs, each a contiguous offset range
 * within one hour. Written in order, a crash leaves a prefix of the runs on disk, so "resume after
 * the highest last offset" stays exact. Skipped messages join the run around them; a tail of
 * skipped messages only (no rows) yields no file and is simply read (and skipped) again.
 */
export function splitIntoRuns(staged: StagedMessage[]): Run[] {
  const runs: Run[] = [];
  let current: { first: number; last: number; hour: HourKey | null; lines: string[] } | null = null;
  for (const m of staged) {
    if (current && m.hour !== null && current.hour !== null && m.hour !== current.hour) {
      runs.push(current as Run);
      current = null;
    }
    if (!current) current = { first: m.offset, last: m.offset, hour: m.hour, lines: [] };
    current.last = m.offset;
    if (m.hour !== null) current.hour = m.hour;
    if (m.line !== null) current.lines.push(m.line);
  }
  if (current && current.hour !== null) runs.push(current as Run);
  return runs;
}
