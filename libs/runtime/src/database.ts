import { escapeLiteral, Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { StartupError } from './startup-error';

/**
 * An open connection or transaction; effects through it commit with the caller's transaction.
 * Code handed one (a projection's apply, AppendOptions.sql) never commits it: the caller owns the
 * transaction and, when it fails (e.g. a 40001 serialization failure), rolls back and re-runs it.
 * A pool also fits, for reads that need no transaction.
 */
export type Sql = Pick<PoolClient, 'query'>;

/** Nest injection token of the relay's pool (DB_RELAY_POOL_SIZE); the same Database as the main one on embedded PGlite. */
export const RELAY_DATABASE = Symbol('RELAY_DATABASE');
/** Nest injection token of the projections' and processors' pool (DB_PROJECTIONS_POOL_SIZE); the main one on embedded PGlite. */
export const PROJECTIONS_DATABASE = Symbol('PROJECTIONS_DATABASE');

/**
 * A PostgreSQL connection pool. A process keeps three (Infrastructure): commands and queries,
 * the relay, and projections, so a burst of one never queues the others behind it. Raw `pg`
 * rather than an ORM on the hot paths: appends and projection batches are a few statements per
 * batch and an ORM's per-row overhead would cost the throughput the benchmarks measure.
 */
export class Database {
  readonly pool: Pool;

  /** @param applicationName shown in pg_stat_activity, so each pool's sessions can be told apart. @default 'streamfold' */
  constructor(readonly url: string, poolSize: number, readonly embedded: boolean, applicationName = 'streamfold') {
    this.pool = new Pool({
      connectionString: url,
      max: poolSize,
      // Short: a request waiting on an unreachable database should fail fast (503), not hang.
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30000,
      application_name: applicationName,
    });
    // An idle client losing its connection (database restart) must not crash the process.
    this.pool.on('error', () => undefined);
    // Nor a checked-out one: when its session is terminated mid-query, pg fails the query and then
    // may emit a second 'error' ("Connection terminated unexpectedly") after pool.query's one-shot
    // listener is gone; unheard, it crashed an API process in the chaos run's database fault.
    // Queries still get their errors; this only keeps the stray event from being fatal.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  /** Connects once to fail fast with a one-line reason instead of a stack trace. */
  async verify(): Promise<void> {
    try {
      await this.pool.query('select 1');
    } catch (error) {
      throw new StartupError(`cannot use PostgreSQL at ${describeUrl(this.url)}: ${(error as Error).message || String(error)}`);
    }
  }

  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]) {
    return this.pool.query<R>(text, params);
  }

  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (sql: PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.inTransaction(async (client, tx) => {
      await client.query(beginStatements(options).join('; '));
      tx.state = 'open';
      return fn(client);
    });
  }

  /**
   * As transaction(), one round trip shorter at each end: fn opens the transaction with its first
   * statement (`open(text)` sends `BEGIN; text`) and commits with its last (`commit(text)` sends
   * `text; COMMIT`), both simple-protocol queries without parameters (values inlined with
   * sqlLiteral / sqlArray). Statements between them use `sql` as usual. When fn returns with the
   * transaction still open, it is committed; when fn throws, it is rolled back. For the projection
   * runner's batches, whose first and last statements (lock, save checkpoints) are the framework's.
   */
  compactTransaction<T>(fn: (sql: PoolClient, ends: TransactionEnds) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const opening = beginStatements(options);
    return this.inTransaction((client, tx) =>
      fn(client, {
        open: async (text) => {
          if (tx.state !== 'before') throw new Error('open() starts the transaction: call it once, first');
          tx.state = 'open';
          return statementResult(await client.query([...opening, text].join('; ')), opening.length);
        },
        commit: async (text) => {
          if (tx.state !== 'open') throw new Error('commit() ends an open transaction: call open() first, and commit() once');
          tx.state = 'ended';
          return statementResult(await client.query(`${text}; COMMIT`), 0);
        },
      }),
    );
  }

  /**
   * A checked-out client for one transaction that `body` begins (and may end): committed when body
   * resolves with it still open, rolled back when body throws after it began. A client that loses
   * its connection (database restart, terminated session) emits 'error'; unheard, that would crash
   * the process. It is kept, fails the transaction, and goes back to the pool as broken.
   */
  private async inTransaction<T>(body: (client: PoolClient, tx: { state: 'before' | 'open' | 'ended' }) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    const tx = { state: 'before' as 'before' | 'open' | 'ended' };
    try {
      const result = await body(client, tx);
      if (tx.state === 'open') await client.query('COMMIT');
      return result;
    } catch (error) {
      if (tx.state !== 'before') await client.query('ROLLBACK').catch((rollbackFailed: Error) => (broken ??= rollbackFailed));
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/**
 * Added to the session's `application_name` for the length of a transaction that appends no
 * events (`TransactionOptions.appendsEvents: false`), so pg_stat_activity still names the pool or
 * instance ("streamfold-projections [no events]"). The gap-safe horizon (`sf_database_horizon()`)
 * leaves such transactions out, so a read model's transaction does not hold back the relay; a
 * trigger on `sf_events` refuses an append in one (SQLSTATE NO_EVENTS_REFUSED), so leaving it out
 * cannot skip an event. Set transaction-locally before the transaction's first write; a name too
 * long to take the mark whole (over 51 characters) keeps its transactions in the horizon, as before.
 */
export const NO_EVENTS_MARK = ' [no events]';
/** SQLSTATE of an append refused in a transaction that declared it appends no events. */
export const NO_EVENTS_REFUSED = 'SF001';

/** How a transaction begins. */
export interface TransactionOptions {
  /**
   * false: the transaction appends no events (a read model's batch), so it does not hold back
   * the relay while it runs; an append in it fails (SQLSTATE NO_EVENTS_REFUSED) and it rolls
   * back. Costs nothing: the setting rides on BEGIN's round trip. @default true
   */
  appendsEvents?: boolean;
  /**
   * false: COMMIT returns without waiting for its WAL record to reach the disk
   * (`synchronous_commit` off for this transaction only; it still commits whole or not at all, in
   * order). A crash of the PostgreSQL server (on embedded PGlite, of this process) may then undo
   * the last such commits, never half of one: about `wal_writer_delay` × 3 (600 ms) of them at
   * most, or on PGlite, which has no WAL writer, those since the last commit that waited. A commit
   * that waits flushes every earlier one. For work derived from something durable elsewhere that puts
   * its own position in the same transaction (a read model and its checkpoint): undone, it is done
   * again from there. Never for appends. Rides on BEGIN's round trip. @default true
   */
  waitsForFlush?: boolean;
}

/** Marks the transaction (set_config's `true`: until it ends); SET cannot append to the current value. */
export const NO_EVENTS_BEGIN = `SELECT set_config('application_name', current_setting('application_name') || '${NO_EVENTS_MARK}', true)`;

/** Turns off the wait for the WAL flush at COMMIT until the transaction ends (TransactionOptions.waitsForFlush). */
export const NO_FLUSH_WAIT_BEGIN = 'SET LOCAL synchronous_commit TO off';

/** The statements that begin a transaction: BEGIN, the no-events mark when it appends none, and the flush setting. */
export function beginStatements(options: TransactionOptions): string[] {
  const statements = ['BEGIN'];
  if (options.appendsEvents === false) statements.push(NO_EVENTS_BEGIN);
  if (options.waitsForFlush === false) statements.push(NO_FLUSH_WAIT_BEGIN);
  return statements;
}

/** The two ends of a compactTransaction, each riding on one statement of the caller's. */
export interface TransactionEnds {
  /** Sends `BEGIN; text` in one round trip; resolves with the result of `text`. */
  open(text: string): Promise<QueryResult>;
  /** Sends `text; COMMIT` in one round trip; resolves with the result of `text` once committed. */
  commit(text: string): Promise<QueryResult>;
}

/** The result of statement `index` of a simple-protocol query of several statements. */
function statementResult(result: QueryResult | QueryResult[], index: number): QueryResult {
  return Array.isArray(result) ? result[index] : result;
}

/** A value written into SQL text: NULL, a safe integer, a boolean, or a quoted (escaped) string or timestamp. */
export function sqlLiteral(value: string | number | boolean | Date | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`only safe integers are inlined, got ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return escapeLiteral(value.toISOString());
  return escapeLiteral(value);
}

/** An array of values written into SQL text, typed (`type` is the element type, e.g. 'text', 'bigint'). */
export function sqlArray(values: Array<string | number | boolean | Date | null>, type: string): string {
  if (!/^[a-z0-9_ ]+$/.test(type)) throw new RangeError(`not a type name: ${type}`);
  return values.length === 0 ? `'{}'::${type}[]` : `ARRAY[${values.map(sqlLiteral).join(', ')}]::${type}[]`;
}

/** host:port/database without credentials, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
