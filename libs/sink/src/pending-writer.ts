import { parseSequence } from '@streamfold/core';
import type { LogMessage } from '@streamfold/messaging';
import { hourKeyOf } from './lake-layout';
import { LakeWriter } from './lake-writer';
import { int64Of, PackedRows, packRows, RowPacker, spanOf } from './packed-rows';
import type { StageRow } from './row-source';
import { Run, RunSplitter, skipped, splitIntoRuns, stageExactly } from './staging';

/**
 * One partition's messages taken and not yet written, packed as they are taken (see RowPacker)
 * with the runs they form: the fast path's rows (the values' bytes, the Kafka timestamp as event
 * time, which the framework's producers set to it, see toWire) and the offsets of dropped re-sends.
 */
export class PartitionBuffer {
  private readonly packer = new RowPacker();
  private readonly runs = new RunSplitter();
  private skippedOffsets: number[] = [];
  /** Messages taken (written or dropped). */
  taken = 0;
  /** A value of no bytes (never an envelope): the exact path writes this buffer. */
  private empty = false;

  get rows(): number {
    return this.packer.rows;
  }

  /** `sequence`: the message's `sf-seq` header when well formed. */
  add(message: LogMessage, sequence: string | null): void {
    this.taken++;
    this.runs.add(message.offset, hourKeyOf(message.timestamp));
    if (message.value.length === 0) this.empty = true;
    this.packer.add(message.partition, message.offset, message.timestamp, message.key, sequence, message.value);
  }

  /** A message consumed and not written (a relay re-send): its offset joins the run around it. */
  skip(offset: number): void {
    this.taken++;
    this.skippedOffsets.push(offset);
    this.runs.skip(offset);
  }

  /** What was taken, and an empty buffer again. */
  take(): TakenMessages {
    const taken: TakenMessages = {
      rows: this.packer.take(),
      runs: this.runs.take(),
      skipped: this.skippedOffsets,
      exactOnly: this.empty,
      messages: this.taken,
    };
    this.skippedOffsets = [];
    this.taken = 0;
    this.empty = false;
    return taken;
  }
}

export interface TakenMessages {
  rows: PackedRows;
  runs: Run[];
  skipped: number[];
  /** True when the fast path cannot take these rows (a value was empty). */
  exactOnly: boolean;
  /** Messages taken, written or dropped. */
  messages: number;
}

/**
 * Writes one partition's taken messages: the fast path first (no parsing in JavaScript; DuckDB
 * checks every row), the exact path (each envelope parsed, event time from occurredAt,
 * non-envelopes skipped and reported) for all of them when a value is empty or DuckDB found a row
 * unfit. 'revoked' when `mayPublish` said no before the files were published.
 */
export async function writePending(
  writer: LakeWriter,
  topic: string,
  partition: number,
  taken: TakenMessages,
  onMalformed: (offset: number, reason: string) => void,
  mayPublish: () => boolean = () => true,
): Promise<{ files: number; rows: number } | 'revoked'> {
  let rows = taken.rows;
  if (!taken.exactOnly) {
    const count = rows.count;
    const files = await writer.writeRuns(topic, partition, taken.runs, rows, true, mayPublish);
    if (files === 'revoked') return files;
    if (Array.isArray(files)) return { files: files.length, rows: count };
    rows = files.unfit;
  }
  const exact = exactRows(rows, taken.skipped, onMalformed);
  const runs = splitIntoRuns(exact);
  const files = await writer.writeRuns(topic, partition, runs, packRows(exact), false, mayPublish);
  if (files === 'revoked') return files;
  return { files: Array.isArray(files) ? files.length : 0, rows: runs.reduce((n, r) => n + r.written, 0) };
}

/** The exact path's rows, in offset order: each packed value parsed, the dropped offsets between them. */
function exactRows(rows: PackedRows, dropped: number[], onMalformed: (offset: number, reason: string) => void): StageRow[] {
  const out: StageRow[] = [];
  let d = 0;
  for (let i = 0; i < rows.count; i++) {
    const offset = int64Of(rows.offsets, i);
    while (d < dropped.length && dropped[d] < offset) out.push(skipped(dropped[d++]));
    const text = (k: 0 | 1) => {
      const bytes = spanOf(rows, i, k);
      return bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    };
    const envelope = spanOf(rows, i, 2)!;
    const message = { partition: rows.partitions[i], offset, key: text(0), value: Buffer.from(envelope.buffer, envelope.byteOffset, envelope.length) };
    const { staged, malformed } = stageExactly(message, parseSequence(text(1) ?? undefined));
    if (malformed !== null) onMalformed(offset, malformed);
    out.push(staged);
  }
  while (d < dropped.length) out.push(skipped(dropped[d++]));
  return out;
}
