import { LogSequence } from '@streamfold/core';
import type { LogMessage } from '@streamfold/messaging';
import { LakeWriter } from './lake-writer';
import type { StageRow } from './stage-table';
import { skipped, splitIntoRuns, stageExactly, stageFast } from './staging';

/** A buffered message; `message` null marks a dropped re-send (its offset still counts). */
export interface PendingMessage {
  offset: number;
  message: LogMessage | null;
  sequence: LogSequence | null;
}

/**
 * Writes one partition's buffer: the fast path first (no parsing in JavaScript; DuckDB checks
 * every row), the exact path (each envelope parsed, event time from occurredAt, non-envelopes
 * skipped and reported) for the whole buffer when DuckDB found a row unfit. 'revoked' when
 * `mayPublish` said no before the files were published.
 */
export async function writePending(
  writer: LakeWriter,
  topic: string,
  partition: number,
  pending: PendingMessage[],
  onMalformed: (offset: number, reason: string) => void,
  mayPublish: () => boolean = () => true,
): Promise<{ files: number; rows: number } | 'revoked'> {
  const fast: StageRow[] = [];
  for (const p of pending) {
    const staged = p.message ? stageFast(p.message, p.sequence) : skipped(p.offset);
    if (!staged) break;
    fast.push(staged);
  }
  if (fast.length === pending.length) {
    const runs = splitIntoRuns(fast);
    const files = await writer.writeRuns(topic, partition, runs, true, mayPublish);
    if (files === 'revoked') return files;
    if (files !== 'unfit') return { files: files.length, rows: runs.reduce((n, r) => n + r.written, 0) };
  }
  const exact = pending.map((p) => {
    if (!p.message) return skipped(p.offset);
    const { staged, malformed } = stageExactly(p.message, p.sequence);
    if (malformed !== null) onMalformed(p.offset, malformed);
    return staged;
  });
  const runs = splitIntoRuns(exact);
  const files = await writer.writeRuns(topic, partition, runs, false, mayPublish);
  if (files === 'revoked') return files;
  return { files: files === 'unfit' ? 0 : files.length, rows: runs.reduce((n, r) => n + r.written, 0) };
}
