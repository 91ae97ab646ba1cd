import { EventEnvelope } from '@streamfold/core';
import { EmbeddedMessageLog, type LogMessage } from '@streamfold/messaging';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS, type Sql } from '@streamfold/runtime';
import { pgliteDatabase, PgliteDatabase, PgliteWorker, pgliteSql, startPglite } from '@streamfold/testing';
import type { QueryRunner } from 'typeorm';
import { DeadLetterWriter } from '../dead-letters/dead-letter-writer';
import { DeadLetters } from '../dead-letters/dead-letters';
import type { ProjectionDefinition } from '../projection';
import { consumerId, projectionContext } from './consumer-id';
import { PartitionProcessor } from './partition-processor';
import { retryPolicy } from './retry-policy';

// A projection over a topic whose messages are not Streamfold envelopes (change data capture):
// its `decode` maps raw JSON to envelopes, skips tombstones and dead-letters what it cannot read.
const TOPIC = 'legacy.orders';
let worker: PgliteWorker;
let sql: Sql;
let db: PgliteDatabase;
let log: EmbeddedMessageLog;
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  worker = await startPglite();
  sql = pgliteSql(worker);
  db = pgliteDatabase(worker);
  for (const M of MIGRATIONS) await new M().up({ query: (text: string) => sql.query(text) } as unknown as QueryRunner);
  log = new EmbeddedMessageLog();
}, 30_000);
afterAll(async () => {
  await log?.close();
  await worker?.close();
});

function decodeOrder(message: LogMessage): EventEnvelope | null {
  if (message.value.length === 0) return null; // a tombstone after a delete
  const row = JSON.parse(message.value.toString('utf8')) as { id: number; total: string; at: string };
  if (typeof row.id !== 'number') throw new Error(`order without a numeric id at offset ${message.offset}`);
  return {
    eventId: `order-${row.id}`,
    type: 'OrderSeen',
    schemaVersion: 1,
    streamId: `order-${row.id}`,
    streamPosition: null,
    globalPosition: null,
    occurredAt: row.at,
    recordedAt: row.at,
    correlationId: null,
    causationId: null,
    actor: 'legacy',
    data: row,
  };
}

const orders: ProjectionDefinition = {
  name: 'test.legacy_orders',
  kind: 'projection',
  topics: [TOPIC],
  tables: ['orders_seen'],
  decode: decodeOrder,
  async setup(ctx) {
    await ctx.sql.query(`CREATE TABLE IF NOT EXISTS ${ctx.table('orders_seen')} (n serial PRIMARY KEY, event_id text, total text, at timestamptz)`);
  },
  async apply(batch, ctx) {
    for (const d of batch) {
      const data = d.envelope.data as { total: string };
      await ctx.sql.query(`INSERT INTO ${ctx.table('orders_seen')} (event_id, total, at) VALUES ($1, $2, $3)`, [d.envelope.eventId, data.total, d.envelope.occurredAt]);
    }
  },
};
const consumer = consumerId(orders.name, 1);

const raw = (offset: number, value: string): LogMessage => ({ topic: TOPIC, partition: 0, offset, key: null, value: Buffer.from(value), headers: {}, timestamp: 0 });
const deliver = (messages: LogMessage[]) =>
  new PartitionProcessor({
    db,
    definition: orders,
    version: 1,
    consumer,
    policy: retryPolicy({ batchAttempts: 1, maxAttempts: 1, initialBackoffMs: 1, maxBackoffMs: 1 }),
    deadLetters: new DeadLetterWriter(log),
    logger: quiet,
  }).process({ topic: TOPIC, partition: 0, messages, highWatermark: 100 }, { isRunning: () => true, heartbeat: async () => undefined });

describe('a projection reading a foreign (non-envelope) topic through its decode option', () => {
  beforeAll(() => orders.setup(projectionContext(sql, 1)));

  it('applies decoded messages with their source event time, skips tombstones, dead-letters what the decoder rejects', async () => {
    const batch = [
      raw(0, JSON.stringify({ id: 1, total: '10.50', at: '2026-01-01T10:00:00.000Z' })),
      raw(1, ''),
      raw(2, JSON.stringify({ id: 'x', total: '1.00', at: '2026-01-01T10:01:00.000Z' })),
      raw(3, JSON.stringify({ id: 2, total: '99.99', at: '2026-01-01T10:02:00.000Z' })),
    ];
    expect(await deliver(batch)).toEqual({ applied: 2, skipped: 1, duplicates: 0, deadLettered: 1 });
    const { rows } = await sql.query(`SELECT event_id, total, to_char(at AT TIME ZONE 'UTC', 'HH24:MI') AS at FROM orders_seen_v1 ORDER BY n`);
    expect(rows).toEqual([
      { event_id: 'order-1', total: '10.50', at: '10:00' },
      { event_id: 'order-2', total: '99.99', at: '10:02' },
    ]);
    const [letter] = await new DeadLetters(db, [orders]).list({ consumer });
    expect(letter).toMatchObject({ offset: 2, error: expect.stringMatching(/decode failed: order without a numeric id at offset 2/) });

    // Redelivered by Kafka: the checkpoint drops all of it, the skipped tombstone included.
    expect(await deliver(batch)).toEqual({ applied: 0, skipped: 0, duplicates: 4, deadLettered: 0 });
  });
});
