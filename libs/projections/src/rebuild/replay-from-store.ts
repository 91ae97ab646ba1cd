import { LogSequence } from '@streamfold/core';
import type { StoredEvent } from '@streamfold/eventstore';
import { MessageLog, partitionForKey } from '@streamfold/messaging';
import type { Database, Sql } from '@streamfold/runtime';
import type { Delivery, ProjectionDefinition } from '../projection';
import { consumerId, projectionContext } from '../runner/consumer-id';

/** EventStore.readAll: the global log after a sequence, in relay order, gap-safe. */
export type ReadAll = (after: LogSequence | null, limit: number) => Promise<StoredEvent[]>;

/** Where the relay publishes an event: its topic and key; null when the projection does not consume it. */
export type EventRoute = (event: StoredEvent) => { topic: string; key: string | null } | null;

/** The version to fold the event store into, and how to route and page the store's events. */
export interface StoreReplayOptions {
  db: Database;
  log: MessageLog;
  definition: ProjectionDefinition;
  version: number;
  readAll: ReadAll;
  route: EventRoute;
  batchSize: number;
  onBatch(events: number): void;
}

/**
 * Folds the event store into a version, for when Kafka retention dropped the start of the log.
 * Each page commits with the checkpoints of every partition set to the page's last sequence and
 * the log's first offset (what retention dropped came from the store), so the Kafka phase that
 * follows reads from the earliest offset and drops, by sf-seq, everything the store already gave.
 * Store events carry offset -1.
 */
export async function replayFromStore(options: StoreReplayOptions): Promise<{ events: number; last: LogSequence | null }> {
  const { db, log, definition, version, readAll, route, batchSize } = options;
  const consumer = consumerId(definition.name, version);
  /** Per topic, the first offset the log holds on each partition. */
  const partitions = new Map<string, number[]>();
  for (const topic of definition.topics) partitions.set(topic, (await log.offsets(topic)).map((p) => p.low));
  const handles = definition.handles ? new Set(definition.handles) : null;
  let after: LogSequence | null = null;
  let events = 0;
  for (;;) {
    const page = await readAll(after, batchSize);
    if (page.length === 0) break;
    const deliveries: Delivery[] = [];
    for (const event of page) {
      const target = route(event);
      if (!target || !partitions.has(target.topic) || (handles && !handles.has(event.type))) continue;
      const { sequence, ...envelope } = event;
      const partition = partitionForKey(target.key, partitions.get(target.topic)!.length, 0);
      deliveries.push({ envelope, topic: target.topic, partition, offset: -1, key: target.key, sequence });
    }
    const last = page[page.length - 1].sequence;
    // Waits for its flush (unlike a runner's batches): the next page goes on from `after` in
    // memory, not from a checkpoint it reads again, so a page undone by a crash would be lost.
    await db.transaction(async (sql) => {
      if (deliveries.length > 0) await definition.apply(deliveries, projectionContext(sql, version));
      await markReplayed(sql, consumer, partitions, last);
    });
    after = last;
    events += page.length;
    options.onBatch(events);
  }
  if (after) {
    // Retention may have moved on during a long replay: what it dropped meanwhile came from the store too.
    for (const topic of definition.topics) partitions.set(topic, (await log.offsets(topic)).map((p) => p.low));
    await db.transaction((sql) => markReplayed(sql, consumer, partitions, after!));
  }
  return { events, last: after };
}

async function markReplayed(sql: Sql, consumer: string, partitions: Map<string, number[]>, last: LogSequence): Promise<void> {
  for (const [topic, lows] of partitions) {
    await sql.query(
      `INSERT INTO sf_checkpoints (consumer, topic, partition, next_offset, seq_tx, seq_position)
       SELECT $1, $2, p - 1, low, $4::xid8, $5 FROM unnest($3::bigint[]) WITH ORDINALITY AS l(low, p)
       ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, seq_tx = EXCLUDED.seq_tx,
         seq_position = EXCLUDED.seq_position, updated_at = now()`,
      [consumer, topic, lows, last.txId, last.position],
    );
  }
}
