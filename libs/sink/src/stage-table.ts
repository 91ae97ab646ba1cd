import duckdb from '@duckdb/node-bindings';
import { BIGINT, DuckDBConnection, DuckDBDataChunk, INTEGER, VARCHAR } from '@duckdb/node-api';
import type { HourKey } from './lake-layout';
import type { PackedRows } from './packed-rows';

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

/** Name of the per-connection temporary table the rows of one flush go through. */
export const STAGE_TABLE = 'sf_stage';

const ROWS_PER_CHUNK = 2048; // DuckDB's vector size: a data chunk holds at most this many rows
const TYPES = [INTEGER, BIGINT, VARCHAR, VARCHAR, BIGINT, VARCHAR];

/**
 * Fills the stage table (p INTEGER, o BIGINT, k VARCHAR, q VARCHAR, ts BIGINT, e VARCHAR) through
 * DuckDB's appender, a data chunk of 2048 rows at a time, from packed rows (see PackedRows): the
 * integer columns are copied into the vectors in one call each, and each key, sequence and envelope
 * goes to DuckDB as the bytes they arrived as. No JSON text is built, written to a scratch file or
 * parsed again: DuckDB parses each envelope once, in C++, when the COPY reads the table
 * (json_transform). Written by hand over @duckdb/node-bindings because the node-api vectors take
 * strings (a UTF-8 decode and re-encode per value) and cache every item in a JavaScript array until
 * flushed. Runs on the writer thread (see WriterThread): the appender's flush is synchronous.
 */
export class StageTable {
  private readonly keyValid = new Uint8Array(ROWS_PER_CHUNK / 8);
  private readonly seqValid = new Uint8Array(ROWS_PER_CHUNK / 8);

  private constructor(private readonly connection: DuckDBConnection) {}

  /** Creates the connection's stage table (temporary: seen by this connection only). */
  static async create(connection: DuckDBConnection): Promise<StageTable> {
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${STAGE_TABLE} (p INTEGER, o BIGINT, k VARCHAR, q VARCHAR, ts BIGINT, e VARCHAR)`);
    return new StageTable(connection);
  }

  /** Replaces the table's rows by `rows`, in order. */
  async fill(rows: PackedRows): Promise<void> {
    await this.connection.run(`TRUNCATE ${STAGE_TABLE}`);
    const appender = await this.connection.createAppender(STAGE_TABLE);
    try {
      for (let start = 0; start < rows.count; start += ROWS_PER_CHUNK) {
        const n = Math.min(ROWS_PER_CHUNK, rows.count - start);
        const chunk = DuckDBDataChunk.create(TYPES, ROWS_PER_CHUNK);
        this.putChunk(chunk, rows, start, n);
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /** Empties the table (keeps the memory of a flush from outliving it). */
  clear(): Promise<void> {
    return this.connection.run(`TRUNCATE ${STAGE_TABLE}`).then(() => undefined);
  }

  private putChunk(chunk: DuckDBDataChunk, rows: PackedRows, start: number, n: number): void {
    const raw = chunk.chunk;
    const vector = (column: number) => duckdb.data_chunk_get_vector(raw, column);
    const copy = (column: number, data: ArrayBufferView, from: number, bytes: number) =>
      duckdb.copy_data_to_vector(vector(column), 0, data.buffer as ArrayBuffer, data.byteOffset + from, bytes);
    copy(0, rows.partitions, start * 4, n * 4);
    copy(1, rows.offsets, start * 8, n * 8);
    copy(4, rows.times, start * 8, n * 8);
    const [k, q, e] = [vector(2), vector(3), vector(5)];
    const { spans, bytes } = rows;
    this.keyValid.fill(0xff);
    this.seqValid.fill(0xff);
    for (let i = 0; i < n; i++) {
      const s = (start + i) * 6;
      if (spans[s + 1] < 0) this.keyValid[i >> 3] &= ~(1 << (i & 7));
      else duckdb.vector_assign_string_element_len(k, i, bytes.subarray(spans[s], spans[s] + spans[s + 1]));
      if (spans[s + 3] < 0) this.seqValid[i >> 3] &= ~(1 << (i & 7));
      else duckdb.vector_assign_string_element_len(q, i, bytes.subarray(spans[s + 2], spans[s + 2] + spans[s + 3]));
      duckdb.vector_assign_string_element_len(e, i, bytes.subarray(spans[s + 4], spans[s + 4] + spans[s + 5]));
    }
    for (const [column, valid] of [[2, this.keyValid], [3, this.seqValid]] as const) {
      if (valid.every((b) => b === 0xff)) continue;
      const v = vector(column);
      duckdb.vector_ensure_validity_writable(v);
      duckdb.copy_data_to_vector_validity(v, 0, valid.buffer, valid.byteOffset, valid.byteLength);
    }
    chunk.rowCount = n;
  }
}
