import { sqlArray, sqlLiteral, Sql, TransactionEnds } from '@streamfold/runtime';
import type { Checkpoint } from './checkpoints';

/** A partition of one consumer: the key of a checkpoint row. */
export interface PartitionKey {
  topic: string;
  partition: number;
}

/** `${topic}:${partition}`, the key of maps of checkpoints. */
export function partitionKey(k: PartitionKey): string {
  return `${k.topic}:${k.partition}`;
}

/**
 * lockCheckpoint for several partitions in one statement, creating missing rows. Rows another
 * transaction holds (a zombie's batch, a rebalance overlap) are skipped, not waited for: one
 * locked partition must not hold up the other partitions of a fetch. The caller commits those
 * partitions alone, through lockCheckpoint, which waits and then sees the other owner's work
 * (invariant 4 of docs/architecture.md). Returns the rows it locked. The lock is the statement
 * that begins the transaction (`open`, a compactTransaction's), so values are inlined.
 */
export async function lockCheckpoints(sql: Sql, consumer: string, keys: PartitionKey[], open: TransactionEnds['open']): Promise<Map<string, Checkpoint>> {
  const unique = [...new Map(keys.map((k) => [partitionKey(k), k])).values()].sort(
    (a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition),
  );
  const partitions = `unnest(${sqlArray(unique.map((k) => k.topic), 'text')}, ${sqlArray(unique.map((k) => k.partition), 'int')}) AS k(t, p)`;
  const where = `consumer = ${sqlLiteral(consumer)} AND (topic, partition) IN (SELECT t, p FROM ${partitions})`;
  const select = `SELECT topic, partition, next_offset, seq_tx::text AS seq_tx, seq_position FROM sf_checkpoints
    WHERE ${where} ORDER BY topic, partition FOR UPDATE SKIP LOCKED`;
  let result = await open(select);
  if (result.rowCount !== unique.length) {
    const existing = await sql.query(`SELECT count(*)::int AS n FROM sf_checkpoints WHERE ${where}`);
    if (existing.rows[0].n !== unique.length) {
      await sql.query(
        `INSERT INTO sf_checkpoints (consumer, topic, partition)
         SELECT ${sqlLiteral(consumer)}, t, p FROM ${partitions} ORDER BY t, p ON CONFLICT DO NOTHING`,
      );
      result = await sql.query(select);
    }
  }
  return new Map(
    result.rows.map((row) => [
      `${row.topic}:${row.partition}`,
      {
        nextOffset: Number(row.next_offset),
        sequence: row.seq_tx === null ? null : { txId: row.seq_tx as string, position: String(row.seq_position) },
      },
    ]),
  );
}

/**
 * saveCheckpoint for several partitions locked by lockCheckpoints, in one statement of the same
 * transaction: the statement that commits it (`commit`, a compactTransaction's). Nothing to save
 * sends nothing (the transaction then commits on its own).
 */
export async function saveCheckpoints(
  consumer: string,
  rows: Array<PartitionKey & { checkpoint: Checkpoint; lastEventAt: Date | null }>,
  commit: TransactionEnds['commit'],
): Promise<void> {
  if (rows.length === 0) return;
  await commit(
    `UPDATE sf_checkpoints c SET next_offset = v.next_offset, seq_tx = v.seq_tx::xid8, seq_position = v.seq_position,
       last_event_at = COALESCE(v.last_event_at, c.last_event_at), updated_at = now()
     FROM unnest(${[
       sqlArray(rows.map((r) => r.topic), 'text'),
       sqlArray(rows.map((r) => r.partition), 'int'),
       sqlArray(rows.map((r) => r.checkpoint.nextOffset), 'bigint'),
       sqlArray(rows.map((r) => r.checkpoint.sequence?.txId ?? null), 'text'),
       sqlArray(rows.map((r) => r.checkpoint.sequence?.position ?? null), 'bigint'),
       sqlArray(rows.map((r) => r.lastEventAt), 'timestamptz'),
     ].join(', ')}) AS v(topic, partition, next_offset, seq_tx, seq_position, last_event_at)
     WHERE c.consumer = ${sqlLiteral(consumer)} AND c.topic = v.topic AND c.partition = v.partition`,
  );
}
