import type { MessageLog } from '@streamfold/messaging';
import type { Sql } from '@streamfold/runtime';
import { readCheckpoints } from './checkpoints';

/** How far one consumer is behind on one partition, measured from its checkpoint. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Checkpoint offset; null when the consumer never committed on this partition. */
  nextOffset: number | null;
  /** First offset retention still holds. */
  low: number;
  /** End of the partition when measured. */
  high: number;
  /** Messages still to process (0 when caught up). */
  lag: number;
  lastEventAt: Date | null;
}

/**
 * Compares a consumer's checkpoints (the truth of what it applied, unlike the group's committed
 * offsets) with the current end of every partition of its topics.
 */
export async function partitionLag(sql: Sql, log: MessageLog, consumer: string, topics: string[]): Promise<PartitionLag[]> {
  const checkpoints = await readCheckpoints(sql, consumer);
  const result: PartitionLag[] = [];
  for (const topic of topics) {
    for (const { partition, low, high } of await log.offsets(topic)) {
      const checkpoint = checkpoints.get(`${topic}:${partition}`);
      // Below `low` retention already removed the messages: nothing is left to read there.
      const position = Math.max(checkpoint?.nextOffset ?? low, low);
      result.push({
        topic,
        partition,
        nextOffset: checkpoint?.nextOffset ?? null,
        low,
        high,
        lag: Math.max(high - position, 0),
        lastEventAt: checkpoint?.lastEventAt ?? null,
      });
    }
  }
  return result;
}

/** One line naming the partitions still behind (`topic/p at offset of end`), or "caught up". */
export function describeLag(lags: PartitionLag[]): string {
  const behind = lags.filter((l) => l.lag > 0);
  return behind.map((l) => `${l.topic}/${l.partition} at ${l.nextOffset ?? 'none'} of ${l.high}`).join(', ') || 'caught up';
}
