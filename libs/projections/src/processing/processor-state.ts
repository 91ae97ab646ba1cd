import type { Sql } from '@streamfold/runtime';

/**
 * Where a processor keeps its per-key state. Every call gets the batch's open transaction, so a
 * store that writes through it commits state together with the checkpoint and the output.
 */
export interface ProcessorStateStore {
  /**
   * States of the given keys (absent keys are missing from the map), locked until the
   * transaction ends so two batches touching one key run one after the other.
   */
  load(sql: Sql, processor: string, keys: readonly string[]): Promise<Map<string, unknown>>;
  /** Writes the states of a batch in one statement. */
  save(sql: Sql, processor: string, states: ReadonlyArray<{ key: string; state: unknown }>): Promise<void>;
}

/**
 * State in `sf_processor_state(processor, key, state jsonb)`. Keys and states travel as one
 * jsonb parameter each, so a batch costs three statements whatever its size and never meets
 * the 65,535-parameter limit of a multi-row VALUES list.
 */
export const postgresProcessorState: ProcessorStateStore = {
  async load(sql, processor, keys) {
    const states = new Map<string, unknown>();
    if (keys.length === 0) return states;
    const sorted = JSON.stringify([...new Set(keys)].sort());
    // Placeholder rows first: FOR UPDATE locks existing rows only, and two batches that both
    // see "no row" for a new key (one per topic of a join) would otherwise overwrite each other.
    // Locks are taken in key order; a deadlock that still happens is detected by PostgreSQL and
    // the batch is retried.
    await sql.query(
      `INSERT INTO sf_processor_state (processor, key, state)
       SELECT $1, k.key, 'null'::jsonb FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS k(key, n) ORDER BY k.n
       ON CONFLICT (processor, key) DO NOTHING`,
      [processor, sorted],
    );
    const { rows } = await sql.query<{ key: string; state: unknown }>(
      `SELECT key, state FROM sf_processor_state
       WHERE processor = $1 AND key IN (SELECT jsonb_array_elements_text($2::jsonb))
       ORDER BY key FOR UPDATE`,
      [processor, sorted],
    );
    // A JSON null is a placeholder (or a key whose state was never written): no state yet.
    for (const row of rows) if (row.state !== null) states.set(row.key, row.state);
    return states;
  },

  async save(sql, processor, states) {
    if (states.length === 0) return;
    await sql.query(
      `INSERT INTO sf_processor_state (processor, key, state, updated_at)
       SELECT $1, r.key, r.state, now() FROM jsonb_to_recordset($2::jsonb) AS r(key text, state jsonb)
       ON CONFLICT (processor, key) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
      [processor, JSON.stringify(states)],
    );
  },
};

/** Deletes the state of one processor namespace (e.g. an old version after a rebuild swapped). */
export async function deleteProcessorState(sql: Sql, namespace: string): Promise<number> {
  const result = await sql.query('DELETE FROM sf_processor_state WHERE processor = $1', [namespace]);
  return result.rowCount ?? 0;
}
