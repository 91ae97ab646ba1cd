import type { HourKey } from './lake-layout';

/**
 * One consumed message on its way into a file: the Kafka coordinates, the relay sequence, the
 * event time `ts` (epoch ms) that chose the hour folder, and the envelope as it came (the value's
 * UTF-8 bytes, never decoded in JavaScript) or re-serialised by the exact path. `envelope` null
 * marks a message consumed but not written (a relay re-send or a malformed value): it still belongs
 * to a file's offset range, so the offset is never read again.
 */
export interface StageRow {
  offset: number;
  hour: HourKey | null;
  partition: number;
  key: string | null;
  seq: string | null;
  ts: number;
  envelope: Uint8Array | string | null;
}

/** The row source a writer slot's statements read from (registered by write-worker.js). */
export const rowSourceName = (slot: number) => `sf_rows_${slot}`;
