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
 * one hour, as they come: `add` for a written message, `skip` for one that is not (a re-send, a
 * malformed value), which joins the run around it. Written in order, a crash leaves a prefix of
 * the runs on disk, so "resume after the highest last offset" stays exact. A tail of messages not
 * written only (no rows) yields no run, so no file: it is simply read (and passed over) again.
 */
export class RunSplitter {
  private runs: Run[] = [];
  private current: { first: number; last: number; hour: HourKey | null; written: number } | null = null;

  add(offset: number, hour: HourKey): void {
    const current = this.current;
    if (current === null || (current.hour !== null && current.hour !== hour)) {
      if (current) this.runs.push(current as Run);
      this.current = { first: offset, last: offset, hour, written: 1 };
      return;
    }
    current.last = offset;
    current.hour = hour;
    current.written++;
  }

  skip(offset: number): void {
    if (this.current) this.current.last = offset;
    else this.current = { first: offset, last: offset, hour: null, written: 0 };
  }

  /** The runs so far; the splitter starts empty again. */
  take(): Run[] {
    const current = this.current;
    const runs = current && current.hour !== null ? [...this.runs, current as Run] : this.runs;
    this.runs = [];
    this.current = null;
    return runs;
  }
}

/** The runs of staged rows in offset order (see RunSplitter); rows without an envelope are not written. */
export function splitIntoRuns(rows: readonly StageRow[]): Run[] {
  const splitter = new RunSplitter();
  for (const row of rows) {
    if (row.envelope === null || row.hour === null) splitter.skip(row.offset);
    else splitter.add(row.offset, row.hour);
  }
  return splitter.take();
}
