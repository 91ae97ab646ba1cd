// @ts-check
'use strict';
/*
 * The lake sink's writer thread (started by WriterThread in writer-thread.ts; never imported).
 * Plain JavaScript, so the thread starts the same from the sources and from dist: a TypeScript
 * worker had to load a compiler per sink in tests and the bench.
 *
 * One in-memory DuckDB with one connection per slot, each with its row source
 * `sf_rows_<slot>(start, end)`: a table function that serves rows start..end-1 of the slot's
 * current request as (p INTEGER, o BIGINT, k VARCHAR, q VARCHAR, ts BIGINT, e VARCHAR), filled
 * straight into DuckDB's output vectors 2048 rows at a time from the packed arrays (see
 * packed-rows.ts): the integer columns in one copy each, each key, sequence and envelope as the
 * bytes they arrived as. A COPY reads a run's rows from it and DuckDB parses each envelope once,
 * in C++ (json_transform): no JSON text, no scratch file, no table filled first (an appender into
 * a temporary table cost about 2 µs more per row: its synchronous flush copied every string once
 * more). Written over @duckdb/node-bindings because the node-api vectors take strings (a UTF-8
 * decode and re-encode per value).
 *
 * Request: { id, slot, rows: PackedRows, statements: string[] }; the statements run in order, one
 * request per slot at a time. Reply: { id, rows, ok: true } or { id, rows, ok: false, failed,
 * message } (failed: index of the failing statement, -1 when the slot could not be opened). The
 * rows go back moved, not copied.
 */
const { parentPort, workerData } = require('node:worker_threads');
const duckdb = require('@duckdb/node-bindings');
const { DuckDBConnection } = require('@duckdb/node-api');

const ROWS_PER_CHUNK = 2048; // DuckDB's vector size: a data chunk holds at most this many rows
/** @type {Array<[string, import('@duckdb/node-bindings').Type]>} */
const COLUMNS = [
  ['p', duckdb.Type.INTEGER],
  ['o', duckdb.Type.BIGINT],
  ['k', duckdb.Type.VARCHAR],
  ['q', duckdb.Type.VARCHAR],
  ['ts', duckdb.Type.BIGINT],
  ['e', duckdb.Type.VARCHAR],
];

/** @param {{ partitions: Int32Array, offsets: Uint32Array, times: Uint32Array, spans: Int32Array, bytes: Uint8Array }} rows */
const transferList = (rows) => /** @type {ArrayBuffer[]} */ ([rows.partitions.buffer, rows.offsets.buffer, rows.times.buffer, rows.spans.buffer, rows.bytes.buffer]);

/**
 * Registers `name(start, end)` over `holder.rows` (set per request) on a connection.
 * @param {import('@duckdb/node-bindings').Connection} connection
 * @param {string} name
 * @param {{ rows: any }} holder
 */
function registerRowSource(connection, name, holder) {
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
    const { start, end } = /** @type {{ start: number, end: number }} */ (duckdb.init_get_bind_data(info));
    duckdb.init_set_init_data(info, { next: start, end });
  });
  const keyValid = new Uint8Array(ROWS_PER_CHUNK / 8);
  const seqValid = new Uint8Array(ROWS_PER_CHUNK / 8);
  duckdb.table_function_set_function(fn, (info, output) => {
    const state = /** @type {{ next: number, end: number }} */ (duckdb.function_get_init_data(info));
    const rows = holder.rows;
    const start = state.next;
    const n = Math.min(ROWS_PER_CHUNK, state.end - start);
    state.next += n;
    /** @param {number} column */
    const vector = (column) => duckdb.data_chunk_get_vector(output, column);
    /** @param {number} column @param {Int32Array | Uint32Array} data @param {number} width */
    const copy = (column, data, width) => duckdb.copy_data_to_vector(vector(column), 0, /** @type {ArrayBuffer} */ (data.buffer), data.byteOffset + start * width, n * width);
    copy(0, rows.partitions, 4);
    copy(1, rows.offsets, 8);
    copy(4, rows.times, 8);
    const k = vector(2);
    const q = vector(3);
    const e = vector(5);
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
    for (const [column, valid] of /** @type {Array<[number, Uint8Array]>} */ ([[2, keyValid], [3, seqValid]])) {
      if (valid.every((b) => b === 0xff)) continue;
      const v = vector(column);
      duckdb.vector_ensure_validity_writable(v);
      duckdb.copy_data_to_vector_validity(v, 0, /** @type {ArrayBuffer} */ (valid.buffer), valid.byteOffset, valid.byteLength);
    }
    duckdb.data_chunk_set_size(output, n);
  });
  duckdb.register_table_function(connection, fn);
}

/** @param {import('node:worker_threads').MessagePort} port @param {{ threads?: number }} options */
async function main(port, options) {
  const config = duckdb.create_config();
  if (options.threads) duckdb.set_config(config, 'threads', String(options.threads));
  const db = await duckdb.open(':memory:', config);
  /** @type {Map<number, Promise<{ connection: any, holder: { rows: any }, queue: Promise<void> }>>} */
  const slots = new Map();
  /** @param {number} n */
  const slotOf = (n) => {
    let slot = slots.get(n);
    if (!slot) {
      slot = duckdb.connect(db).then((raw) => {
        const holder = { rows: null };
        registerRowSource(raw, `sf_rows_${n}`, holder);
        return { connection: new DuckDBConnection(raw), holder, queue: Promise.resolve() };
      });
      slots.set(n, slot);
    }
    return slot;
  };
  port.on('message', (request) => {
    /** @param {any} reply */
    const answer = (reply) => port.postMessage(reply, transferList(reply.rows));
    slotOf(request.slot).then(
      (slot) => (slot.queue = slot.queue.then(async () => answer(await write(slot, request)))),
      (error) => answer({ id: request.id, ok: false, failed: -1, message: error.message, rows: request.rows }),
    );
  });
  port.postMessage({ ready: true });
}

/** @param {{ connection: any, holder: { rows: any } }} slot @param {{ id: number, rows: any, statements: string[] }} request */
async function write(slot, request) {
  let failed = 0;
  slot.holder.rows = request.rows;
  try {
    for (; failed < request.statements.length; failed++) await slot.connection.run(request.statements[failed]);
    return { id: request.id, ok: true, rows: request.rows };
  } catch (error) {
    return { id: request.id, ok: false, failed, message: /** @type {Error} */ (error).message, rows: request.rows };
  } finally {
    slot.holder.rows = null;
  }
}

if (parentPort && workerData && workerData.role === 'streamfold-lake-writer') {
  const port = parentPort;
  main(port, workerData).catch((error) => port.postMessage({ startFailed: error.message }));
}
