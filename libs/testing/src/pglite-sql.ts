import type { Sql } from '@streamfold/runtime';

/** What pgliteSql needs of a PGlite: a PGlite instance or startPglite()'s worker. */
export interface PgliteLike {
  query(text: string, params?: unknown[], options?: { parsers?: Record<number, (value: string) => unknown> }): Promise<PgliteResult>;
  exec(text: string, options?: { parsers?: Record<number, (value: string) => unknown> }): Promise<PgliteResult[]>;
}

/** The part of a PGlite query result pgliteSql turns into a `pg` result. */
export interface PgliteResult {
  rows: any[];
  rowCount?: number;
  affectedRows?: number;
  command?: string;
  fields: Array<{ name: string; dataTypeID: number }>;
}

/** int8 type oid: `pg` returns it as a string (it may not fit a JS number); PGlite as a number or bigint. */
const INT8 = 20;
/** Makes PGlite rows look like `pg` rows; other common types already agree (numeric string, timestamptz Date, jsonb parsed). */
const PG_COMPATIBLE = { parsers: { [INT8]: (value: string) => value } };

/**
 * Adapts PGlite (real PostgreSQL compiled to WASM, in process) to the `Sql` interface the
 * framework uses, so projection and processor code runs unchanged in fast tests:
 * `pgliteSql(await startPglite())`, or `pgliteSql(new PGlite())` outside jest. Like `pg`, a query
 * without parameters uses the simple protocol (multi-statement DDL works; the last statement's
 * result is returned) and one with parameters the extended protocol. PGlite is one connection:
 * BEGIN / COMMIT through this adapter make a real transaction.
 */
export function pgliteSql(db: PgliteLike): Sql {
  async function query(text: string, params?: unknown[]) {
    if (typeof text !== 'string') throw new TypeError('pgliteSql supports query(text, params) only');
    const result = params && params.length > 0 ? await db.query(text, params, PG_COMPATIBLE) : (await db.exec(text, PG_COMPATIBLE)).at(-1);
    const rows = result?.rows ?? [];
    return {
      rows,
      rowCount: result?.rowCount ?? result?.affectedRows ?? rows.length,
      command: result?.command ?? '',
      fields: result?.fields ?? [],
      oid: 0,
    };
  }
  return { query } as unknown as Sql;
}
