import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PackedRows, transferList } from './packed-rows';

/** A request to the writer thread (write-worker.js): fill slot `slot`'s row source with `rows`, run `statements` in order. */
interface WriteRequest {
  id: number;
  slot: number;
  rows: PackedRows;
  statements: string[];
}

/**
 * The rows come back (moved, not copied): after a success their arrays are packed again, after a
 * failure the sink may write them the exact way. `failed` is the index of the statement that
 * failed, -1 when the slot's connection could not be opened.
 */
export type WriteReply = { id: number; rows: PackedRows } & ({ ok: true } | { ok: false; failed: number; message: string });

/**
 * The sink's DuckDB writer in a worker thread of its own. Handing rows to DuckDB costs three
 * native calls per row, and (through an appender, before) a synchronous flush: about a fifth of
 * the consumer thread's time with the garbage it left, and on a 2-core machine that thread, which
 * also decodes Kafka's fetches, set the sink's rate. Here the consumer thread only packs rows into typed
 * arrays (see RowPacker) and moves them over; the writer thread runs the COPY statements, which
 * read the rows through a table function (`sf_rows_<slot>`, see write-worker.js).
 * A writer thread that dies fails the requests in flight (the sink then replaces its consumer and
 * reads them again) and the next request starts a new one.
 */
export class WriterThread {
  private worker: { thread: Worker; ready: Promise<void> } | null = null;
  private readonly pending = new Map<number, { resolve(reply: WriteReply): void; reject(error: Error): void }>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: { threads?: number } = {}) {}

  /** Starts the thread now (it loads DuckDB): before the first flush. */
  async started(): Promise<void> {
    await (this.worker ?? this.start()).ready;
  }

  /**
   * Hands `rows` to slot `slot`'s row source and runs `statements` in order (each slot in turn).
   * `rows` moves to the writer thread (its arrays are empty afterwards); a failed reply brings it back.
   */
  async run(slot: number, rows: PackedRows, statements: string[]): Promise<WriteReply> {
    if (this.closed) throw new Error('the lake writer thread is closed');
    const worker = this.worker ?? this.start();
    await worker.ready;
    const id = this.nextId++;
    const reply = new Promise<WriteReply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    worker.thread.ref();
    worker.thread.postMessage({ id, slot, rows, statements } satisfies WriteRequest, transferList(rows));
    return reply;
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.thread.terminate();
    this.fail(new Error('the lake writer thread was closed'));
  }

  private start(): { thread: Worker; ready: Promise<void> } {
    const thread = spawn(this.options);
    const ready = new Promise<void>((resolve, reject) => {
      thread.on('message', (m: WriteReply | { ready: true } | { startFailed: string }) => {
        if ('ready' in m) {
          if (this.pending.size === 0) thread.unref(); // an idle writer keeps no process alive
          return resolve();
        }
        if ('startFailed' in m) return reject(new Error(`the lake writer thread did not start: ${m.startFailed}`));
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (this.pending.size === 0) thread.unref();
        p?.resolve(m);
      });
      const died = (error: Error) => {
        if (this.worker?.thread === thread) this.worker = null;
        reject(error);
        this.fail(error);
      };
      thread.on('error', died);
      thread.on('exit', (code) => died(new Error(`the lake writer thread exited (code ${code})`)));
    });
    ready.catch(() => undefined);
    const worker = { thread, ready };
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}

/** The worker is plain JavaScript (write-worker.js), the same file beside the sources and in dist. */
function spawn(options: { threads?: number }): Worker {
  return new Worker(join(__dirname, 'write-worker.js'), { workerData: { ...options, role: 'streamfold-lake-writer' } });
}
