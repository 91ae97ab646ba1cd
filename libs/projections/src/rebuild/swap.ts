import type { Database, Sql } from '@streamfold/runtime';
import type { ProjectionDefinition } from '../projection';
import { consumerId } from '../runner/consumer-id';
import { sleep } from '../runner/retry-policy';
import { lockProjection, pointViews, setStatuses } from '../runner/versions';

/** Whether swapVersion activated the new version; if not, which partition it was still behind on. */
export type SwapOutcome = { swapped: true } | { swapped: false; reason: string };

const WAIT_POLL_MS = 20;

/**
 * Makes `to` the active version in ONE transaction: reader views, sf_projections, statuses.
 *
 * It first locks the live version's checkpoint rows: the live runner cannot commit while the swap
 * runs, so its position is frozen. Then it waits (up to waitMs) until the new version, which keeps
 * committing, has applied at least as far on every partition, and swaps. Readers therefore never see
 * the model go back. Comparing both moving versions instead would rarely find every partition ahead
 * at once under a steady flow of events.
 */
export async function swapVersion(db: Database, definition: ProjectionDefinition, from: number | null, to: number, waitMs = 5000): Promise<SwapOutcome> {
  return db.transaction(async (sql) => {
    await lockProjection(sql, definition.name);
    const active = await sql.query(`SELECT active_version FROM sf_projections WHERE name = $1 FOR UPDATE`, [definition.name]);
    const current = active.rowCount === 0 ? null : Number(active.rows[0].active_version);
    if (current === to) {
      // The rebuilt version became active by itself (there was none): only the statuses are left.
      await setStatuses(sql, definition.name, to);
      return { swapped: true };
    }
    if (current !== from) throw new Error(`${definition.name}: active version changed from v${from} to v${current} during the rebuild`);
    if (from !== null) {
      const behind = await waitUntilAhead(sql, definition, from, to, waitMs);
      if (behind) return { swapped: false, reason: behind };
    }
    await pointViews(sql, definition.tables, to);
    await sql.query(
      `INSERT INTO sf_projections (name, active_version) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET active_version = EXCLUDED.active_version, updated_at = now()`,
      [definition.name, to],
    );
    await setStatuses(sql, definition.name, to);
    return { swapped: true };
  });
}

/** Null once `to` is at or past `from` everywhere; otherwise where it is still behind after waitMs. */
async function waitUntilAhead(sql: Sql, definition: ProjectionDefinition, from: number, to: number, waitMs: number): Promise<string | null> {
  const deadline = Date.now() + waitMs;
  let lock = true;
  for (;;) {
    // READ COMMITTED: each statement sees what the new version's runner committed meanwhile.
    const behind = await whereBehind(sql, definition, from, to, lock);
    lock = false; // the live rows stay locked until the transaction ends
    if (!behind || Date.now() >= deadline) return behind;
    await sleep(WAIT_POLL_MS);
  }
}

/**
 * Null when version `to` has applied at least as far as `from` on every partition `from` has a
 * checkpoint for; else a description of the first partition where it has not. With `lockLive`,
 * the rows of `from` stay locked until the transaction ends.
 */
export async function whereBehind(sql: Sql, definition: ProjectionDefinition, from: number, to: number, lockLive = false): Promise<string | null> {
  const live = await sql.query(
    `SELECT topic, partition, next_offset FROM sf_checkpoints WHERE consumer = $1 AND topic = ANY($2::text[])
     ORDER BY topic, partition ${lockLive ? 'FOR UPDATE' : ''}`,
    [consumerId(definition.name, from), definition.topics],
  );
  const rebuilt = await sql.query(`SELECT topic, partition, next_offset FROM sf_checkpoints WHERE consumer = $1`, [consumerId(definition.name, to)]);
  const at = new Map(rebuilt.rows.map((r) => [`${r.topic}/${r.partition}`, Number(r.next_offset)]));
  const behind = live.rows.find((r) => (at.get(`${r.topic}/${r.partition}`) ?? 0) < Number(r.next_offset));
  return behind ? `v${to} is at ${at.get(`${behind.topic}/${behind.partition}`) ?? 0} on ${behind.topic}/${behind.partition}, v${from} at ${behind.next_offset}` : null;
}
