import { compareSequence, fromWire, LogSequence, HEADER, parseSequence } from '@streamfold/core';
import type { LogMessage } from '@streamfold/messaging';
import { HourKey, hourKeyOf } from './lake-layout';

/**
 * A consumed message on its way into a file: one JSON line DuckDB reads with read_json, carrying
 * the raw envelope untouched (no re-serialising of the payload) plus the Kafka coordinates.
 * `line` is null for a message that is consumed but not written (a relay re-send or a malformed
 * value): it still belongs to a file's offset range, so the offset is never read again.
 */
export interface StagedMessage {
  offset: number;
  hour: HourKey | null;
  line: string | null;
}

export type StageOutcome =
  | { kind: 'row'; staged: StagedMessage; sequence: LogSequence | null }
  | { kind: 'duplicate'; staged: StagedMessage }
  | { kind: 'malformed'; staged: StagedMessage; reason: string };

/** `after` is the highest relay sequence already taken on this partition (null: none yet). */
export function stageMessage(message: LogMessage, after: LogSequence | null): StageOutcome {
  const skipped: StagedMessage = { offset: message.offset, hour: null, line: null };
  const sequence = parseSequence(message.headers[HEADER.sequence]);
  // Relay re-sends repeat a sequence already written: the same rule as the projection runner.
  if (sequence && after && compareSequence(sequence, after) <= 0) return { kind: 'duplicate', staged: skipped };
  let raw: string;
  let occurredAt: number;
  try {
    raw = message.value.toString('utf8');
    const { envelope } = fromWire(raw);
    occurredAt = Date.parse(envelope.occurredAt);
    if (!Number.isFinite(occurredAt)) throw new Error(`occurredAt "${envelope.occurredAt}" is not a date`);
    if (raw.includes('\n')) raw = JSON.stringify(envelope); // one line per row for read_json
  } catch (error) {
    return { kind: 'malformed', staged: skipped, reason: (error as Error).message };
  }
  const line = stagedLine(message.partition, message.offset, message.key, sequence, occurredAt, raw);
  return { kind: 'row', staged: { offset: message.offset, hour: hourKeyOf(occurredAt), line }, sequence };
}

/** One staged JSON line; `envelopeJson` is inserted as is (it must be one line of JSON). */
export function stagedLine(partition: number | null, offset: number | null, key: string | null, sequence: LogSequence | null, occurredAt: number, envelopeJson: string): string {
  const seq = sequence ? `"${sequence.txId}:${sequence.position}"` : 'null';
  return `{"p":${partition},"o":${offset},"k":${JSON.stringify(key)},"q":${seq},"t":"${new Date(occurredAt).toISOString()}","e":${envelopeJson}}`;
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
