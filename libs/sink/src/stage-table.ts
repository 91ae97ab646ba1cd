import duckdb from '@duckdb/node-bindings';
import { BIGINT, DuckDBConnection, DuckDBDataChunk, INTEGER, VARCHAR } from '@duckdb/node-api';
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

/** Name of the per-connection temporary table the rows of one flush go through. */
export const STAGE_TABLE = 'sf_stage';

const ROWS_PER_CHUNK = 2048; // DuckDB's vector size: a data chunk holds at most this many rows
const TYPES = [INTEGER, BIGINT, VARCHAR, VARCHAR, BIGINT, VARCHAR];

/**
 * Fills the stage table (p INTEGER, o BIGINT, k VARCHAR, q VARCHAR, ts BIGINT, e VARCHAR) through
 * DuckDB's appender, a data chunk of 2048 rows at a time: integers are written into typed arrays and
 * copied into the vectors in one call each, and an envelope's bytes are handed to DuckDB as they
 * arrived from Kafka. No JSON text is built, written to a scratch file or parsed again: DuckDB
 * parses each envelope once, in C++, when the COPY reads the table (json_transform). Written by
 * hand over @duckdb/node-bindings because the node-api vectors take strings (a UTF-8 decode and
 * re-encode per value) and cache every item in a JavaScript array until flushed.
 */
export class StageTable {
  private readonly partitions = new Int32Array(ROWS_PER_CHUNK);
  /** BIGINTs as two 32-bit halves (little-endian): offsets and times below 2^53 need no BigInt. */
  private readonly offsets = new Uint32Array(ROWS_PER_CHUNK * 2);
  private readonly times = new Uint32Array(ROWS_PER_CHUNK * 2);
  private readonly keyValid = new Uint8Array(ROWS_PER_CHUNK / 8);
  private readonly seqValid = new Uint8Array(ROWS_PER_CHUNK / 8);

  /** The current chunk's VARCHAR vectors (key, seq, envelope): fetched once per chunk, not per row. */
  private vectors: { k: duckdb.Vector; q: duckdb.Vector; e: duckdb.Vector } | null = null;

  private constructor(private readonly connection: DuckDBConnection) {}

  /** Creates the connection's stage table (temporary: seen by this connection only). */
  static async create(connection: DuckDBConnection): Promise<StageTable> {
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${STAGE_TABLE} (p INTEGER, o BIGINT, k VARCHAR, q VARCHAR, ts BIGINT, e VARCHAR)`);
    return new StageTable(connection);
  }

  /** Replaces the table's rows by the written ones (envelope not null) of `rows`, in order. */
  async fill(rows: readonly StageRow[]): Promise<void> {
    await this.connection.run(`TRUNCATE ${STAGE_TABLE}`);
    const appender = await this.connection.createAppender(STAGE_TABLE);
    try {
      let chunk: DuckDBDataChunk | null = null;
      let n = 0;
      for (const row of rows) {
        if (row.envelope === null) continue;
        if (!chunk) {
          chunk = DuckDBDataChunk.create(TYPES, ROWS_PER_CHUNK);
          const vector = (column: number) => duckdb.data_chunk_get_vector(chunk!.chunk, column);
          this.vectors = { k: vector(2), q: vector(3), e: vector(5) };
          this.keyValid.fill(0xff);
          this.seqValid.fill(0xff);
        }
        this.put(n++, row);
        if (n === ROWS_PER_CHUNK) {
          this.append(appender.appendDataChunk.bind(appender), chunk, n);
          chunk = null;
          n = 0;
        }
      }
      if (chunk) this.append(appender.appendDataChunk.bind(appender), chunk, n);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /** Empties the table (keeps the memory of a flush from outliving it). */
  clear(): Promise<void> {
    return this.connection.run(`TRUNCATE ${STAGE_TABLE}`).then(() => undefined);
  }

  private put(i: number, row: StageRow): void {
    this.partitions[i] = row.partition;
    setInt64(this.offsets, i, row.offset);
    setInt64(this.times, i, row.ts);
    const { k, q, e } = this.vectors!;
    if (row.key === null) this.keyValid[i >> 3] &= ~(1 << (i & 7));
    else duckdb.vector_assign_string_element(k, i, row.key);
    if (row.seq === null) this.seqValid[i >> 3] &= ~(1 << (i & 7));
    else duckdb.vector_assign_string_element(q, i, row.seq);
    if (typeof row.envelope === 'string') duckdb.vector_assign_string_element(e, i, row.envelope);
    else duckdb.vector_assign_string_element_len(e, i, row.envelope!);
  }

  private append(appendChunk: (chunk: DuckDBDataChunk) => void, chunk: DuckDBDataChunk, n: number): void {
    const raw = chunk.chunk;
    const copy = (column: number, data: ArrayBufferView, bytes: number) =>
      duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(raw, column), 0, data.buffer as ArrayBuffer, data.byteOffset, bytes);
    copy(0, this.partitions, n * 4);
    copy(1, this.offsets, n * 8);
    copy(4, this.times, n * 8);
    for (const [column, valid] of [[2, this.keyValid], [3, this.seqValid]] as const) {
      if (valid.every((b) => b === 0xff)) continue;
      const vector = duckdb.data_chunk_get_vector(raw, column);
      duckdb.vector_ensure_validity_writable(vector);
      duckdb.copy_data_to_vector_validity(vector, 0, valid.buffer, valid.byteOffset, valid.byteLength);
    }
    chunk.rowCount = n;
    appendChunk(chunk);
  }
}

/** Writes a non-negative integer below 2^53 as a little-endian int64 at index `i`. */
function setInt64(halves: Uint32Array, i: number, value: number): void {
  halves[2 * i] = value >>> 0;
  halves[2 * i + 1] = Math.floor(value / 4294967296);
}
