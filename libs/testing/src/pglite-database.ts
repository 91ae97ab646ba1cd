import { beginStatements, type Database, type Sql, type TransactionEnds, type TransactionOptions } from '@streamfold/runtime';
import { PgliteLike, pgliteSql } from './pglite-sql';

/** A Database on PGlite for int tests, with a switch to simulate a crash before COMMIT. */
export interface PgliteDatabase extends Database {
  /**
   * The next `count` transactions run their work, then roll back instead of committing and fail
   * like a connection lost at COMMIT (SQLSTATE 08006): a process killed between apply and commit.
   * @default count 1
   */
  crashBeforeCommit(count?: number): void;
  /** Simulated crashes so far, so a test can tell its crash really happened. */
  crashes(): number;
}

/**
 * Adapts PGlite to the framework's `Database` (what the projection runner, the swap and dead
 * letters take), so the real runner code runs in int tests without a server. PGlite is one
 * connection running one transaction at a time: transactions and plain queries take turns in
 * arrival order, which is what the row locks would enforce on PostgreSQL for one partition.
 * Do not call the Database itself inside `transaction(fn)` (use fn's `sql`): it would wait for
 * the transaction that waits for it.
 */
export function pgliteDatabase(db: PgliteLike): PgliteDatabase {
  const sql = pgliteSql(db);
  let turn: Promise<unknown> = Promise.resolve();
  let planned = 0;
  let crashed = 0;

  /** Runs task after every earlier one settled. */
  function inTurn<T>(task: () => Promise<T>): Promise<T> {
    const run = turn.then(task);
    turn = run.catch(() => undefined);
    return run;
  }

  const query = ((text: string, params?: unknown[]) => inTurn(() => sql.query(text, params))) as Sql['query'];

  async function transaction<T>(fn: (tx: Sql) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return inTurn(async () => {
      // As on PostgreSQL: the no-events mark (the sf_events trigger refuses an append) and the flush setting.
      for (const statement of beginStatements(options)) await sql.query(statement);
      try {
        const result = await fn(sql);
        if (planned > 0) {
          planned--;
          crashed++;
          throw Object.assign(new Error('simulated crash before COMMIT: connection lost'), { code: '08006' });
        }
        await sql.query('COMMIT');
        return result;
      } catch (error) {
        await sql.query('ROLLBACK');
        throw error;
      }
    });
  }

  /** PGlite runs BEGIN and COMMIT apart from the ends' statements: the same transaction, crash simulation included. */
  function compactTransaction<T>(fn: (tx: Sql, ends: TransactionEnds) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return transaction((tx) => fn(tx, { open: (text) => tx.query(text), commit: (text) => tx.query(text) }), options);
  }

  const adapter = {
    url: 'pglite://in-process',
    embedded: true,
    pool: { query },
    query,
    transaction,
    compactTransaction,
    verify: async () => undefined,
    close: async () => undefined,
    crashBeforeCommit(count = 1) {
      planned += count;
    },
    crashes: () => crashed,
  };
  return adapter as unknown as PgliteDatabase;
}
