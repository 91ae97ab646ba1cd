import { formatSequence, fromWire, LogSequence } from '@streamfold/core';
import type { LogMessage } from '@streamfold/messaging';
import { HourKey, hourKeyOf } from './lake-layout';
import type { StageRow } from './row-source';

/** A message consumed but not written (a relay re-send): its offset still joins a file's range. */
export function skipped(offset: number): StageRow {
  return { offset, hour: null, partition: 0, key: null, seq: null, ts: 0, envelope: null };
}

/** The exact path: parses the envelope; event time from its occurredAt. */
export function stageExactly(message: Pick<LogMessage, 'partition' | 'offset' | 'key' | 'value'>, sequence: LogSequence | null): { staged: StageRow; malformed: string | null } {
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
  /** How many of the range's messages are written (the others were dropped or are not envelopes). */
  written: number;
}

/**
 * Cuts a partition's messages (in offset order) into runs, each a contiguous offset range within
 * one hour; `hourOf` is null for a message not written. Written in order, a crash leaves a prefix
 * of the runs on disk, so "resume after the highest last offset" stays exact. Messages not written
 * join the run around them; a tail of them only (no rows) yields no file and is simply read (and
 * passed over) again.
 */
export function splitIntoRuns<T>(items: readonly T[], offsetOf: (item: T) => number, hourOf: (item: T) => HourKey | null): Run[] {
  const runs: Run[] = [];
  let current: { first: number; last: number; hour: HourKey | null; written: number } | null = null;
  for (const item of items) {
    const offset = offsetOf(item);
    const hour = hourOf(item);
    if (current && hour !== null && current.hour !== null && hour !== current.hour) {
      runs.push(current as Run);
      current = null;
    }
    if (!current) current = { first: offset, last: offset, hour, written: 0 };
    current.last = offset;
    if (hour !== null) {
      current.hour = hour;
      current.written++;
    }
  }
  if (current && current.hour !== null) runs.push(current as Run);
  return runs;
}
