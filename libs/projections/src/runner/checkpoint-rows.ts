import type { Sql } from '@streamfold/runtime';
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
 * lockCheckpoint for several partitions in one statement: creates missing rows, then locks every
 * row FOR UPDATE in (topic, partition) order, so two owners of overlapping partitions (a
 * rebalance, a zombie) queue on the first row they share instead of deadlocking, and the second
 * sees the first's work (invariant 4 of docs/architecture.md).
 */
export async function lockCheckpoints(sql: Sql, consumer: string, keys: PartitionKey[]): Promise<Map<string, Checkpoint>> {
  const unique = [...new Map(keys.map((k) => [partitionKey(k), k])).values()].sort(
    (a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition),
  );
  const topics = unique.map((k) => k.topic);
  const partitions = unique.map((k) => k.partition);
  const select = `SELECT topic, partition, next_offset, seq_tx::text AS seq_tx, seq_position FROM sf_checkpoints
    WHERE consumer = $1 AND (topic, partition) IN (SELECT t, p FROM unnest($2::text[], $3::int[]) AS k(t, p))
    ORDER BY topic, partition FOR UPDATE`;
  let result = await sql.query(select, [consumer, topics, partitions]);
  if (result.rowCount !== unique.length) {
    await sql.query(
      `INSERT INTO sf_checkpoints (consumer, topic, partition)
       SELECT $1, t, p FROM unnest($2::text[], $3::int[]) AS k(t, p) ORDER BY t, p ON CONFLICT DO NOTHING`,
      [consumer, topics, partitions],
    );
    result = await sql.query(select, [consumer, topics, partitions]);
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

/** saveCheckpoint for several partitions locked by lockCheckpoints, in one statement of the same transaction. */
export async function saveCheckpoints(
  sql: Sql,
  consumer: string,
  rows: Array<PartitionKey & { checkpoint: Checkpoint; lastEventAt: Date | null }>,
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `UPDATE sf_checkpoints c SET next_offset = v.next_offset, seq_tx = v.seq_tx::xid8, seq_position = v.seq_position,
       last_event_at = COALESCE(v.last_event_at, c.last_event_at), updated_at = now()
     FROM unnest($2::text[], $3::int[], $4::bigint[], $5::text[], $6::bigint[], $7::timestamptz[])
       AS v(topic, partition, next_offset, seq_tx, seq_position, last_event_at)
     WHERE c.consumer = $1 AND c.topic = v.topic AND c.partition = v.partition`,
    [
      consumer,
      rows.map((r) => r.topic),
      rows.map((r) => r.partition),
      rows.map((r) => r.checkpoint.nextOffset),
      rows.map((r) => r.checkpoint.sequence?.txId ?? null),
      rows.map((r) => r.checkpoint.sequence?.position ?? null),
      rows.map((r) => r.lastEventAt),
    ],
  );
}
