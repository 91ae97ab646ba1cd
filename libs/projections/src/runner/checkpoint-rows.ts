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
 * (invariant 4 of docs/architecture.md). Returns the rows it locked. With `open` (a
 * compactTransaction's), the lock is the statement that begins the transaction.
 */
export async function lockCheckpoints(sql: Sql, consumer: string, keys: PartitionKey[], open?: TransactionEnds['open']): Promise<Map<string, Checkpoint>> {
  const unique = [...new Map(keys.map((k) => [partitionKey(k), k])).values()].sort(
    (a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition),
  );
  const topics = unique.map((k) => k.topic);
  const partitions = unique.map((k) => k.partition);
  const where = `consumer = $1 AND (topic, partition) IN (SELECT t, p FROM unnest($2::text[], $3::int[]) AS k(t, p))`;
  const select = (condition: string) => `SELECT topic, partition, next_offset, seq_tx::text AS seq_tx, seq_position FROM sf_checkpoints
    WHERE ${condition} ORDER BY topic, partition FOR UPDATE SKIP LOCKED`;
  const inlined = `consumer = ${sqlLiteral(consumer)} AND (topic, partition) IN (SELECT t, p FROM unnest(${sqlArray(topics, 'text')}, ${sqlArray(partitions, 'int')}) AS k(t, p))`;
  let result = open ? await open(select(inlined)) : await sql.query(select(where), [consumer, topics, partitions]);
  if (result.rowCount !== unique.length) {
    const existing = await sql.query(`SELECT count(*)::int AS n FROM sf_checkpoints WHERE ${where}`, [consumer, topics, partitions]);
    if (existing.rows[0].n !== unique.length) {
      await sql.query(
        `INSERT INTO sf_checkpoints (consumer, topic, partition)
         SELECT $1, t, p FROM unnest($2::text[], $3::int[]) AS k(t, p) ORDER BY t, p ON CONFLICT DO NOTHING`,
        [consumer, topics, partitions],
      );
      result = await sql.query(select(where), [consumer, topics, partitions]);
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
 * transaction. With `commit` (a compactTransaction's), the save is the statement that commits.
 */
export async function saveCheckpoints(
  sql: Sql,
  consumer: string,
  rows: Array<PartitionKey & { checkpoint: Checkpoint; lastEventAt: Date | null }>,
  commit?: TransactionEnds['commit'],
): Promise<void> {
  if (rows.length === 0) return;
  const update = (values: string[]) => `UPDATE sf_checkpoints c SET next_offset = v.next_offset, seq_tx = v.seq_tx::xid8, seq_position = v.seq_position,
       last_event_at = COALESCE(v.last_event_at, c.last_event_at), updated_at = now()
     FROM unnest(${values.slice(1).join(', ')})
       AS v(topic, partition, next_offset, seq_tx, seq_position, last_event_at)
     WHERE c.consumer = ${values[0]} AND c.topic = v.topic AND c.partition = v.partition`;
  const columns = {
    topics: rows.map((r) => r.topic),
    partitions: rows.map((r) => r.partition),
    offsets: rows.map((r) => r.checkpoint.nextOffset),
    txIds: rows.map((r) => r.checkpoint.sequence?.txId ?? null),
    positions: rows.map((r) => r.checkpoint.sequence?.position ?? null),
    at: rows.map((r) => r.lastEventAt),
  };
  if (commit) {
    await commit(update([
      sqlLiteral(consumer),
      sqlArray(columns.topics, 'text'),
      sqlArray(columns.partitions, 'int'),
      sqlArray(columns.offsets, 'bigint'),
      sqlArray(columns.txIds, 'text'),
      sqlArray(columns.positions, 'bigint'),
      sqlArray(columns.at, 'timestamptz'),
    ]));
    return;
  }
  await sql.query(update(['$1', '$2::text[]', '$3::int[]', '$4::bigint[]', '$5::text[]', '$6::bigint[]', '$7::timestamptz[]']), [
    consumer, columns.topics, columns.partitions, columns.offsets, columns.txIds, columns.positions, columns.at,
  ]);
}
