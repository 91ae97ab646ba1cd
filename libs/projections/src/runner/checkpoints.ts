import { compareSequence, LogSequence } from '@streamfold/core';
import type { Sql } from '@streamfold/runtime';

/** Where one consumer stands on one partition: committed with its effects, in one transaction. */
export interface Checkpoint {
  /** Kafka offset to read next; anything below was applied (or skipped, or dead-lettered). */
  nextOffset: number;
  /** Highest relay sequence applied; a message not above it is a relay re-send. */
  sequence: LogSequence | null;
}

/**
 * Locks the checkpoint row for the rest of the transaction (creating it at offset 0 when missing),
 * so two runners on the same consumer id (a rebalance overlap, two groups, a rebuild and the live
 * runner after a swap) apply a partition one batch at a time and the second sees the first's result.
 */
export async function lockCheckpoint(sql: Sql, consumer: string, topic: string, partition: number): Promise<Checkpoint> {
  const select = `SELECT next_offset, seq_tx::text AS seq_tx, seq_position FROM sf_checkpoints
    WHERE consumer = $1 AND topic = $2 AND partition = $3 FOR UPDATE`;
  let result = await sql.query(select, [consumer, topic, partition]);
  if (result.rowCount === 0) {
    await sql.query(
      `INSERT INTO sf_checkpoints (consumer, topic, partition) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [consumer, topic, partition],
    );
    result = await sql.query(select, [consumer, topic, partition]);
  }
  const row = result.rows[0];
  return {
    nextOffset: Number(row.next_offset),
    sequence: row.seq_tx === null ? null : { txId: row.seq_tx, position: String(row.seq_position) },
  };
}

/**
 * Moves a checkpoint locked by lockCheckpoint, in the same transaction as the batch's effects, so
 * the effects and the new position commit or roll back together (invariant 4).
 */
export async function saveCheckpoint(
  sql: Sql,
  consumer: string,
  topic: string,
  partition: number,
  checkpoint: Checkpoint,
  lastEventAt: Date | null,
): Promise<void> {
  await sql.query(
    `UPDATE sf_checkpoints SET next_offset = $4, seq_tx = $5::xid8, seq_position = $6,
       last_event_at = COALESCE($7, last_event_at), updated_at = now()
     WHERE consumer = $1 AND topic = $2 AND partition = $3`,
    [consumer, topic, partition, checkpoint.nextOffset, checkpoint.sequence?.txId ?? null, checkpoint.sequence?.position ?? null, lastEventAt],
  );
}

/** Next offsets of every partition a consumer has a checkpoint for, keyed `${topic}:${partition}`. */
export async function readCheckpoints(sql: Sql, consumer: string): Promise<Map<string, { nextOffset: number; lastEventAt: Date | null }>> {
  const result = await sql.query(`SELECT topic, partition, next_offset, last_event_at FROM sf_checkpoints WHERE consumer = $1`, [consumer]);
  return new Map(
    result.rows.map((r) => [`${r.topic}:${r.partition}`, { nextOffset: Number(r.next_offset), lastEventAt: r.last_event_at as Date | null }]),
  );
}

/** True when `candidate` is a new event for a partition whose highest applied sequence is `applied`. */
export function isAbove(candidate: LogSequence, applied: LogSequence | null): boolean {
  return applied === null || compareSequence(candidate, applied) > 0;
}
