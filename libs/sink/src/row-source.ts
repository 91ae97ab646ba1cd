import duckdb from '@duckdb/node-bindings';
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

/** The rows a row source reads while a statement runs (set by the writer thread per request). */
export interface RowHolder {
  rows: PackedRows | null;
}

/** The row source a writer slot's statements read from. */
export const rowSourceName = (slot: number) => `sf_rows_${slot}`;

const ROWS_PER_CHUNK = 2048; // DuckDB's vector size: a data chunk holds at most this many rows
const COLUMNS = [
  ['p', duckdb.Type.INTEGER],
  ['o', duckdb.Type.BIGINT],
  ['k', duckdb.Type.VARCHAR],
  ['q', duckdb.Type.VARCHAR],
  ['ts', duckdb.Type.BIGINT],
  ['e', duckdb.Type.VARCHAR],
] as const;

/**
 * Registers the table function `name(start, end)`: rows start..end-1 of `holder.rows` as
 * (p INTEGER, o BIGINT, k VARCHAR, q VARCHAR, ts BIGINT, e VARCHAR), filled straight into DuckDB's
 * output vectors 2048 rows at a time: the integer columns in one copy each, and each key, sequence
 * and envelope as the bytes they arrived as. A COPY reads a run's rows from it, and DuckDB parses
 * each envelope once, in C++ (json_transform). No JSON text is built, no scratch file written, and
 * no table filled first: an appender into a temporary table cost about 2 µs more per row (its
 * synchronous flush copied every string once more). Written over @duckdb/node-bindings because
 * the node-api vectors take strings (a UTF-8 decode and re-encode per value).
 */
export function registerRowSource(connection: duckdb.Connection, name: string, holder: RowHolder): void {
  const fn = duckdb.create_table_function();
  duckdb.table_function_set_name(fn, name);
  const bigint = duckdb.create_logical_type(duckdb.Type.BIGINT);
  duckdb.table_function_add_parameter(fn, bigint);
  duckdb.table_function_add_parameter(fn, bigint);
  duckdb.table_function_set_bind(fn, (info) => {
    const start = Number(duckdb.get_int64(duckdb.bind_get_parameter(info, 0)));
    const end = Number(duckdb.get_int64(duckdb.bind_get_parameter(info, 1)));
    if (!holder.rows || start < 0 || end > holder.rows.count || start > end) {
      duckdb.bind_set_error(info, `${name}(${start}, ${end}): no such rows`);
      return;
    }
    for (const [column, type] of COLUMNS) duckdb.bind_add_result_column(info, column, duckdb.create_logical_type(type));
    duckdb.bind_set_bind_data(info, { start, end });
  });
  duckdb.table_function_set_init(fn, (info) => {
    const { start, end } = duckdb.init_get_bind_data(info) as { start: number; end: number };
    duckdb.init_set_init_data(info, { next: start, end });
  });
  const keyValid = new Uint8Array(ROWS_PER_CHUNK / 8);
  const seqValid = new Uint8Array(ROWS_PER_CHUNK / 8);
  duckdb.table_function_set_function(fn, (info, output) => {
    const state = duckdb.function_get_init_data(info) as { next: number; end: number };
    const rows = holder.rows!;
    const start = state.next;
    const n = Math.min(ROWS_PER_CHUNK, state.end - start);
    state.next += n;
    const vector = (column: number) => duckdb.data_chunk_get_vector(output, column);
    const copy = (column: number, data: Int32Array | Uint32Array, width: number) =>
      duckdb.copy_data_to_vector(vector(column), 0, data.buffer as ArrayBuffer, data.byteOffset + start * width, n * width);
    copy(0, rows.partitions, 4);
    copy(1, rows.offsets, 8);
    copy(4, rows.times, 8);
    const [k, q, e] = [vector(2), vector(3), vector(5)];
    const { spans, bytes } = rows;
    keyValid.fill(0xff);
    seqValid.fill(0xff);
    for (let i = 0; i < n; i++) {
      const s = (start + i) * 6;
      if (spans[s + 1] < 0) keyValid[i >> 3] &= ~(1 << (i & 7));
      else duckdb.vector_assign_string_element_len(k, i, bytes.subarray(spans[s], spans[s] + spans[s + 1]));
      if (spans[s + 3] < 0) seqValid[i >> 3] &= ~(1 << (i & 7));
      else duckdb.vector_assign_string_element_len(q, i, bytes.subarray(spans[s + 2], spans[s + 2] + spans[s + 3]));
      duckdb.vector_assign_string_element_len(e, i, bytes.subarray(spans[s + 4], spans[s + 4] + spans[s + 5]));
    }
    for (const [column, valid] of [[2, keyValid], [3, seqValid]] as const) {
      if (valid.every((b) => b === 0xff)) continue;
      const v = vector(column);
      duckdb.vector_ensure_validity_writable(v);
      duckdb.copy_data_to_vector_validity(v, 0, valid.buffer, valid.byteOffset, valid.byteLength);
    }
    duckdb.data_chunk_set_size(output, n);
  });
  duckdb.register_table_function(connection, fn);
}
