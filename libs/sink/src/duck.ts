import { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';

/**
 * One in-memory DuckDB connection whose statements run one at a time (a DuckDB connection runs one
 * query at a time): recovery, compaction, status and queries. The sink writes on its own thread
 * (see WriterThread).
 */
export class Duck {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly instance: DuckDBInstance, readonly connection: DuckDBConnection) {}

  /** @param threads DuckDB worker threads. @default DuckDB's own (the core count) */
  static async open(options: { threads?: number } = {}): Promise<Duck> {
    const config: Record<string, string> = {};
    if (options.threads) config.threads = String(options.threads);
    const instance = await DuckDBInstance.create(':memory:', config);
    return new Duck(instance, await instance.connect());
  }

  run(sql: string, params?: Record<string, DuckDBValue> | DuckDBValue[]): Promise<void> {
    return this.serial(async () => {
      await this.connection.run(sql, params);
    });
  }

  /** Rows as plain JSON-friendly objects (BIGINTs become strings). */
  rows<T = Record<string, unknown>>(sql: string, params?: Record<string, DuckDBValue> | DuckDBValue[]): Promise<T[]> {
    return this.serial(async () => (await this.connection.runAndReadAll(sql, params)).getRowObjectsJson() as unknown as T[]);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** A list of paths as a DuckDB list literal for read_parquet([...]). */
export function pathList(paths: string[]): string {
  return `[${paths.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ')}]`;
}

/**
 * Runs a read of listed lake files again (up to 5 times) when one vanished meanwhile: a compaction
 * deletes merged inputs, and a listing taken just before may still name them.
 */
export async function retryOnVanishedFile<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= 5 || !/No files found|Cannot open file|No such file/i.test((error as Error).message)) throw error;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}
