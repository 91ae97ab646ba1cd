import { parentPort, workerData } from 'node:worker_threads';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { PackedRows, transferList } from './packed-rows';
import { StageTable } from './stage-table';

/**
 * The writer thread's side of WriterThread (started by it; never imported elsewhere). One in-memory
 * DuckDB with one connection and stage table per slot; a request fills its slot's stage table and
 * runs the given statements in order, one request per slot at a time.
 */
export interface WriteRequest {
  id: number;
  slot: number;
  rows: PackedRows;
  statements: string[];
}

/**
 * `failed` is the index of the statement that failed, -1 when filling the stage table did; the rows
 * come back with a failure (moved, not copied), so the sink can write them the exact way.
 */
export type WriteReply = { id: number; ok: true } | { id: number; ok: false; failed: number; message: string; rows?: PackedRows };

interface Slot {
  connection: DuckDBConnection;
  stage: StageTable;
  queue: Promise<void>;
}

async function main(port: NonNullable<typeof parentPort>, options: { threads?: number }): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', options.threads ? { threads: String(options.threads) } : {});
  const slots = new Map<number, Promise<Slot>>();
  const slotOf = (n: number) => {
    let slot = slots.get(n);
    if (!slot) {
      slot = instance.connect().then(async (connection) => ({ connection, stage: await StageTable.create(connection), queue: Promise.resolve() }));
      slots.set(n, slot);
    }
    return slot;
  };
  port.on('message', (request: WriteRequest) => {
    void slotOf(request.slot).then((slot) => {
      slot.queue = slot.queue.then(async () => {
        const reply = await write(slot, request);
        port.postMessage(reply, reply.ok || !reply.rows ? [] : transferList(reply.rows));
      });
    }, (error: Error) => port.postMessage({ id: request.id, ok: false, failed: -1, message: error.message } satisfies WriteReply));
  });
  port.postMessage({ ready: true });
}

async function write(slot: Slot, request: WriteRequest): Promise<WriteReply> {
  let failed = -1;
  try {
    await slot.stage.fill(request.rows);
    for (failed = 0; failed < request.statements.length; failed++) await slot.connection.run(request.statements[failed]);
    return { id: request.id, ok: true };
  } catch (error) {
    return { id: request.id, ok: false, failed, message: (error as Error).message, rows: request.rows };
  } finally {
    await slot.stage.clear().catch(() => undefined);
  }
}

if (parentPort) {
  const port = parentPort;
  main(port, workerData ?? {}).catch((error: Error) => port.postMessage({ startFailed: error.message }));
}
