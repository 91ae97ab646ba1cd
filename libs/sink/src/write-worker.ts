import { parentPort, workerData } from 'node:worker_threads';
import duckdb from '@duckdb/node-bindings';
import { DuckDBConnection } from '@duckdb/node-api';
import { PackedRows, transferList } from './packed-rows';
import { registerRowSource, RowHolder, rowSourceName } from './row-source';

/**
 * The writer thread's side of WriterThread (started by it; never imported elsewhere). One in-memory
 * DuckDB with one connection per slot, each with its row source `sf_rows_<slot>(start, end)` (see
 * registerRowSource); a request hands its rows to the slot's source and runs the given statements
 * in order, one request per slot at a time.
 */
export interface WriteRequest {
  id: number;
  slot: number;
  rows: PackedRows;
  statements: string[];
}

/**
 * The rows come back (moved, not copied): after a success their arrays are packed again, after a
 * failure the sink may write them the exact way. `failed` is the index of the statement that
 * failed.
 */
export type WriteReply = { id: number; rows: PackedRows } & ({ ok: true } | { ok: false; failed: number; message: string });

interface Slot {
  connection: DuckDBConnection;
  holder: RowHolder;
  queue: Promise<void>;
}

async function main(port: NonNullable<typeof parentPort>, options: { threads?: number }): Promise<void> {
  const config = duckdb.create_config();
  if (options.threads) duckdb.set_config(config, 'threads', String(options.threads));
  const db = await duckdb.open(':memory:', config);
  const slots = new Map<number, Promise<Slot>>();
  const slotOf = (n: number) => {
    let slot = slots.get(n);
    if (!slot) {
      slot = duckdb.connect(db).then((raw) => {
        const holder: RowHolder = { rows: null };
        registerRowSource(raw, rowSourceName(n), holder);
        return { connection: new DuckDBConnection(raw), holder, queue: Promise.resolve() };
      });
      slots.set(n, slot);
    }
    return slot;
  };
  port.on('message', (request: WriteRequest) => {
    const reply = (r: WriteReply) => port.postMessage(r, transferList(r.rows));
    void slotOf(request.slot).then(
      (slot) => (slot.queue = slot.queue.then(async () => reply(await write(slot, request)))),
      (error: Error) => reply({ id: request.id, ok: false, failed: -1, message: error.message, rows: request.rows }),
    );
  });
  port.postMessage({ ready: true });
}

async function write(slot: Slot, request: WriteRequest): Promise<WriteReply> {
  let failed = 0;
  slot.holder.rows = request.rows;
  try {
    for (; failed < request.statements.length; failed++) await slot.connection.run(request.statements[failed]);
    return { id: request.id, ok: true, rows: request.rows };
  } catch (error) {
    return { id: request.id, ok: false, failed, message: (error as Error).message, rows: request.rows };
  } finally {
    slot.holder.rows = null;
  }
}

if (parentPort && workerData?.role === 'streamfold-lake-writer') {
  const port = parentPort;
  main(port, workerData ?? {}).catch((error: Error) => port.postMessage({ startFailed: error.message }));
}
