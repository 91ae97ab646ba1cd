import { toWire } from '@streamfold/core';
import { EmbeddedMessageLog, type LogMessage } from '@streamfold/messaging';
import { NO_EVENTS_REFUSED, type Sql } from '@streamfold/runtime';
import { deliveries, pgliteDatabase, PgliteDatabase, PgliteWorker, pgliteSql, startPglite } from '@streamfold/testing';
import type { QueryRunner } from 'typeorm';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS } from '@streamfold/runtime';
import { DEAD_LETTER_TOPIC, DeadLetterWriter } from '../dead-letters/dead-letter-writer';
import { DeadLetterRefused, DeadLetters } from '../dead-letters/dead-letters';
import type { Delivery, ProjectionDefinition } from '../projection';
import { consumerId, projectionContext } from './consumer-id';
import { PartitionProcessor } from './partition-processor';
import { retryPolicy } from './retry-policy';

// The real PartitionProcessor, checkpoints and dead letters on the framework's own tables
// (PGlite) and the in-process log: the exactly-once rules below e2e.
const TOPIC = 'counted';
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
  await log.ensureTopics([{ name: TOPIC, partitions: 1 }]);
}, 30_000);
afterAll(async () => {
  await log?.close();
  await worker?.close();
});

/** Every apply appends the event ids it got: a duplicate shows up as a second row. */
let poisoned = new Set<string>();
const counter: ProjectionDefinition = {
  name: 'test.counter',
  kind: 'projection',
  topics: [TOPIC],
  tables: ['applied'],
  async setup(ctx) {
    await ctx.sql.query(`CREATE TABLE IF NOT EXISTS ${ctx.table('applied')} (n serial PRIMARY KEY, event_id text NOT NULL)`);
  },
  async apply(batch, ctx) {
    for (const d of batch) {
      if (poisoned.has(d.envelope.eventId)) throw new Error(`cannot fold ${d.envelope.eventId}`);
      await ctx.sql.query(`INSERT INTO ${ctx.table('applied')} (event_id) VALUES ($1)`, [d.envelope.eventId]);
    }
  },
};
const consumer = consumerId(counter.name, 1);

beforeEach(async () => {
  poisoned = new Set();
  await counter.setup(projectionContext(sql, 1));
  await sql.query('DELETE FROM applied_v1; DELETE FROM sf_checkpoints; DELETE FROM sf_dead_letters');
});

const processor = (definition: ProjectionDefinition = counter) =>
  new PartitionProcessor({
    db,
    definition,
    version: 1,
    consumer,
    policy: retryPolicy({ batchAttempts: 2, maxAttempts: 2, initialBackoffMs: 1, maxBackoffMs: 1 }),
    deadLetters: new DeadLetterWriter(log),
    logger: quiet,
  });
const context = { isRunning: () => true, heartbeat: async () => undefined };

/** The event as the relay puts it on Kafka, at `offset` (a re-send gets a new one). */
function message(d: Delivery, offset = d.offset): LogMessage {
  const wire = toWire(d.envelope, d.key, d.sequence);
  return { topic: TOPIC, partition: 0, offset, key: wire.key, value: Buffer.from(wire.value), headers: wire.headers, timestamp: wire.timestamp };
}
const feed = (telemetry = false) => deliveries(Array.from({ length: 6 }, (_, i) => ({ stream: 'counter', topic: TOPIC, telemetry, event: { type: 'Counted', data: { i } } })));
const deliver = (messages: LogMessage[]) => processor().process({ topic: TOPIC, partition: 0, messages, highWatermark: 100 }, context);
const at = (list: Delivery[], offsets: number[]) => offsets.map((o) => message(list[o]));

async function applied(): Promise<string[]> {
  return (await sql.query('SELECT event_id FROM applied_v1 ORDER BY n')).rows.map((r) => r.event_id);
}
async function checkpoint() {
  const { rows } = await sql.query(`SELECT next_offset, seq_position FROM sf_checkpoints WHERE consumer = $1`, [consumer]);
  return rows[0] ?? null;
}
const ids = (...n: number[]) => n.map((i) => `evt-${i}`);

describe('PartitionProcessor on PostgreSQL (PGlite) and the in-process log', () => {
  it('applies Kafka redeliveries (the same offsets again, whole or overlapping) once', async () => {
    const list = feed();
    expect(await deliver(at(list, [0, 1, 2, 3]))).toMatchObject({ applied: 4, duplicates: 0 });
    expect(await deliver(at(list, [0, 1, 2, 3]))).toMatchObject({ applied: 0, duplicates: 4 });
    expect(await deliver(at(list, [2, 3, 4, 5]))).toMatchObject({ applied: 2, duplicates: 2 });
    expect(await applied()).toEqual(ids(1, 2, 3, 4, 5, 6));
    expect(await checkpoint()).toEqual({ next_offset: '6', seq_position: '6' });
  });

  it('applies nothing of a batch read from past the checkpoint and asks for the checkpoint; applies one read from the checkpoint or the log start', async () => {
    const list = feed();
    const one = processor();
    const read = (offsets: number[], fetchedFrom: number) => ({ topic: TOPIC, partition: 0, messages: at(list, offsets), highWatermark: 100, fetchedFrom });
    await one.process(read([0, 1], 0), context);
    // The log's position was ahead of this database: read from 4, the checkpoint is 2.
    expect(await one.process(read([4, 5], 4), context)).toEqual({ applied: 0, skipped: 0, duplicates: 0, deadLettered: 0, seekTo: 2 });
    expect(await one.processMany([{ batch: read([4, 5], 4), context }])).toEqual([{ status: 'fulfilled', value: { applied: 0, skipped: 0, duplicates: 0, deadLettered: 0, seekTo: 2 } }]);
    expect(await applied()).toEqual(ids(1, 2));
    expect(await checkpoint()).toEqual({ next_offset: '2', seq_position: '2' });
    // Read from 2, the log's first record there is 4 (2 and 3 compacted away, or markers): applied;
    // two markers after it (6, 7) move the checkpoint to where the log reads next.
    expect(await one.process({ ...read([4, 5], 2), readUpTo: 8 }, context)).toEqual({ applied: 2, skipped: 0, duplicates: 0, deadLettered: 0 });
    expect(await checkpoint()).toEqual({ next_offset: '8', seq_position: '6' });
    // Within a batch, offsets may skip: only where a batch was read from is held against the checkpoint.
    expect(await deliver([message(list[0], 6), message(list[1], 9)])).toEqual({ applied: 0, skipped: 0, duplicates: 2, deadLettered: 0 });
    // Retention dropped the checkpoint (10): a batch read from the log's start (12) is refused
    // until the runner says reading resumes there, then applied.
    const resent = { topic: TOPIC, partition: 0, messages: [message(list[2], 12)], highWatermark: 100, fetchedFrom: 12 };
    expect(await one.process(resent, context)).toMatchObject({ seekTo: 10 });
    expect(one.resumeFrom(`${TOPIC}:0`, 10, 12)).toBe(true);
    expect(one.resumeFrom(`${TOPIC}:0`, 10, 12)).toBe(false);
    expect(await one.process(resent, context)).toEqual({ applied: 0, skipped: 0, duplicates: 1, deadLettered: 0 });
    expect(await checkpoint()).toEqual({ next_offset: '13', seq_position: '6' });
  });

  it('drops redelivered telemetry, which has no relay sequence, by its offset alone', async () => {
    const list = feed(true);
    await deliver(at(list, [0, 1, 2]));
    expect(await deliver(at(list, [1, 2, 3]))).toMatchObject({ applied: 1, duplicates: 2 });
    expect(await applied()).toEqual(ids(1, 2, 3, 4));
    expect(await checkpoint()).toEqual({ next_offset: '4', seq_position: null });
  });

  it('drops relay re-sends (new offsets, the same or a lower sf-seq) and moves the offset past them', async () => {
    const list = feed();
    await deliver(at(list, [0, 1, 2, 3]));
    const resent = [message(list[2], 4), message(list[3], 5), message(list[0], 6), message(list[4], 7)];
    expect(await deliver(resent)).toMatchObject({ applied: 1, duplicates: 3 });
    expect(await applied()).toEqual(ids(1, 2, 3, 4, 5));
    expect(await checkpoint()).toEqual({ next_offset: '8', seq_position: '5' });
  });

  it('keeps nothing of a batch that crashed between apply and commit, and applies its redelivery once', async () => {
    const list = feed();
    db.crashBeforeCommit();
    await expect(deliver(at(list, [0, 1, 2]))).rejects.toMatchObject({ code: '08006' });
    expect(await applied()).toEqual([]);
    expect(await checkpoint()).toBeNull();
    await deliver(at(list, [0, 1, 2]));
    db.crashBeforeCommit();
    await expect(deliver(at(list, [3, 4]))).rejects.toThrow(/crash before COMMIT/);
    expect(await checkpoint()).toEqual({ next_offset: '3', seq_position: '3' });
    await deliver(at(list, [2, 3, 4, 5]));
    expect(await applied()).toEqual(ids(1, 2, 3, 4, 5, 6));
  });

  it('dead-letters a poison event with the checkpoint past it; a replay applies it once', async () => {
    const list = feed();
    poisoned.add('evt-3');
    expect(await deliver(at(list, [0, 1, 2, 3, 4]))).toMatchObject({ applied: 4, deadLettered: 1, duplicates: 0 });
    expect(await applied()).toEqual(ids(1, 2, 4, 5));
    expect(await checkpoint()).toEqual({ next_offset: '5', seq_position: '5' });
    const letters = new DeadLetters(db, [counter]);
    const [letter] = await letters.list({ consumer });
    expect(letter).toMatchObject({ topic: TOPIC, offset: 2, type: 'Counted', status: 'pending', error: 'Error: cannot fold evt-3' });
    const onTopic = async () => (await log.offsets(DEAD_LETTER_TOPIC.name)).reduce((n, p) => n + p.high, 0);
    expect(await onTopic()).toBe(1);

    // Redelivered after the dead-lettering: nothing applied, nothing dead-lettered again.
    expect(await deliver(at(list, [0, 1, 2, 3, 4]))).toMatchObject({ applied: 0, deadLettered: 0, duplicates: 5 });
    expect(await letters.list({ consumer })).toHaveLength(1);
    expect(await onTopic()).toBe(1);

    poisoned.clear(); // the bug is fixed and deployed
    expect(await letters.replay(letter.id)).toMatchObject({ status: 'replayed' });
    await expect(letters.replay(letter.id)).rejects.toThrow(DeadLetterRefused);
    await deliver(at(list, [2, 3, 4, 5]));
    expect(await applied()).toEqual(ids(1, 2, 4, 5, 3, 6));
  });

  it('dead-letters a message that is not an event without calling apply', async () => {
    const list = feed();
    const garbage: LogMessage = { ...message(list[1]), value: Buffer.from('not json') };
    expect(await deliver([message(list[0]), garbage, message(list[2])])).toMatchObject({ applied: 2, deadLettered: 1 });
    expect(await applied()).toEqual(ids(1, 3));
    expect((await new DeadLetters(db, [counter]).list({ consumer }))[0]).toMatchObject({ offset: 1, error: expect.stringMatching(/not JSON/) });
  });
});

describe('PartitionProcessor.processMany: the partitions of a fetch in one transaction', () => {
  /** Events 0–2 on partition 0 and 3–5 on partition 1, each at offsets 0, 1, 2 (relay sequences rise per partition). */
  const onPartition = (d: Delivery, partition: number, offset: number): LogMessage => ({ ...message(d, offset), partition });
  const batchOf = (messages: LogMessage[]) => ({ topic: TOPIC, partition: messages[0].partition, messages, highWatermark: 100 });
  const checkpoints = async () =>
    (await sql.query(`SELECT partition, next_offset, seq_position FROM sf_checkpoints WHERE consumer = $1 ORDER BY partition`, [consumer])).rows;

  it('commits every partition with its own checkpoint in one transaction, and each keeps its duplicate rule', async () => {
    const list = feed();
    const transactions = jest.spyOn(db, 'compactTransaction');
    const first = await processor().processMany([
      { batch: batchOf([onPartition(list[0], 0, 0), onPartition(list[1], 0, 1), onPartition(list[2], 0, 2)]), context },
      { batch: batchOf([onPartition(list[3], 1, 0), onPartition(list[4], 1, 1)]), context },
    ]);
    expect(transactions).toHaveBeenCalledTimes(1);
    transactions.mockRestore();
    expect(first).toEqual([
      { status: 'fulfilled', value: { applied: 3, skipped: 0, duplicates: 0, deadLettered: 0 } },
      { status: 'fulfilled', value: { applied: 2, skipped: 0, duplicates: 0, deadLettered: 0 } },
    ]);
    expect(await checkpoints()).toEqual([
      { partition: 0, next_offset: '3', seq_position: '3' },
      { partition: 1, next_offset: '2', seq_position: '5' },
    ]);
    // Kafka redelivers partition 0 (offsets below its checkpoint); the relay re-sends event 4 on
    // partition 1 at a new offset, followed by the new event 5.
    const second = await processor().processMany([
      { batch: batchOf([onPartition(list[1], 0, 1), onPartition(list[2], 0, 2)]), context },
      { batch: batchOf([onPartition(list[4], 1, 2), onPartition(list[5], 1, 3)]), context },
    ]);
    expect(second.map((r) => r.status === 'fulfilled' && r.value)).toEqual([
      { applied: 0, skipped: 0, duplicates: 2, deadLettered: 0 },
      { applied: 1, skipped: 0, duplicates: 1, deadLettered: 0 },
    ]);
    expect(await applied()).toEqual(ids(1, 2, 3, 4, 5, 6));
    expect(await checkpoints()).toEqual([
      { partition: 0, next_offset: '3', seq_position: '3' },
      { partition: 1, next_offset: '4', seq_position: '6' },
    ]);
  });

  it('commits nothing of the group when apply throws, then runs each batch alone with its retries and dead letters', async () => {
    const list = feed();
    poisoned.add('evt-5');
    const results = await processor().processMany([
      { batch: batchOf([onPartition(list[0], 0, 0), onPartition(list[1], 0, 1)]), context },
      { batch: batchOf([onPartition(list[3], 1, 0), onPartition(list[4], 1, 1), onPartition(list[5], 1, 2)]), context },
    ]);
    expect(results.map((r) => r.status === 'fulfilled' && r.value)).toEqual([
      { applied: 2, skipped: 0, duplicates: 0, deadLettered: 0 },
      { applied: 2, skipped: 0, duplicates: 0, deadLettered: 1 },
    ]);
    expect(await applied()).toEqual(ids(1, 2, 4, 6));
    expect(await checkpoints()).toEqual([
      { partition: 0, next_offset: '2', seq_position: '2' },
      { partition: 1, next_offset: '3', seq_position: '6' },
    ]);
  });

  it('calls apply once for the whole group with applyScope transaction; a throw there sends every partition on alone', async () => {
    const list = feed();
    const calls: string[][] = [];
    const wide: ProjectionDefinition = { ...counter, applyScope: 'transaction', apply: (batch, ctx) => (calls.push(batch.map((d) => d.envelope.eventId)), counter.apply(batch, ctx)) };
    const group = (from: number) => [
      { batch: batchOf([onPartition(list[from], 0, from), onPartition(list[from + 1], 0, from + 1)]), context },
      { batch: batchOf([onPartition(list[from + 3], 1, from), onPartition(list[from + 4], 1, from + 1)]), context },
    ];
    const first = await processor(wide).processMany(group(0));
    expect(calls).toEqual([ids(1, 2, 4, 5)]);
    expect(first.map((r) => r.status === 'fulfilled' && r.value.applied)).toEqual([2, 2]);
    poisoned.add('evt-3');
    calls.length = 0;
    const second = await processor(wide).processMany([
      { batch: batchOf([onPartition(list[2], 0, 2)]), context },
      { batch: batchOf([onPartition(list[5], 1, 2)]), context },
    ]);
    // The group's call failed; each partition then went alone: partition 1 applied, event 3 dead-lettered.
    expect(calls[0]).toEqual(ids(3, 6));
    expect(second.map((r) => r.status === 'fulfilled' && r.value)).toEqual([
      { applied: 0, skipped: 0, duplicates: 0, deadLettered: 1 },
      { applied: 1, skipped: 0, duplicates: 0, deadLettered: 0 },
    ]);
    expect(await applied()).toEqual(ids(1, 2, 4, 5, 6));
    expect(await checkpoints()).toEqual([
      { partition: 0, next_offset: '3', seq_position: '3' },
      { partition: 1, next_offset: '3', seq_position: '6' },
    ]);
  });

  it('refuses the batch of a released partition and commits the others', async () => {
    const list = feed();
    const released = { isRunning: () => false, heartbeat: async () => undefined };
    const results = await processor().processMany([
      { batch: batchOf([onPartition(list[0], 0, 0)]), context: released },
      { batch: batchOf([onPartition(list[3], 1, 0)]), context },
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { name: 'PartitionReleased' } });
    expect(results[1]).toMatchObject({ status: 'fulfilled', value: { applied: 1 } });
    expect(await applied()).toEqual(ids(4));
  });
});

describe('PartitionProcessor: a read model\'s transactions append no events', () => {
  /** A projection whose apply writes its row and then tries to append an event (zero rows: the refusal is per statement). */
  const appending = (kind: ProjectionDefinition['kind']): ProjectionDefinition => ({
    ...counter,
    kind,
    async apply(batch, ctx) {
      await counter.apply(batch, ctx);
      await ctx.sql.query(`INSERT INTO sf_events SELECT * FROM sf_events WHERE false`);
    },
  });
  const batch = (messages: LogMessage[]) => ({ topic: TOPIC, partition: 0, messages, highWatermark: 100 });

  it('refuses an append in a projection\'s transaction, alone or gathered: nothing committed, nothing dead-lettered', async () => {
    const list = feed();
    await expect(processor(appending('projection')).process(batch(at(list, [0, 1])), context)).rejects.toMatchObject({ code: NO_EVENTS_REFUSED });
    const [gathered] = await processor(appending('projection')).processMany([{ batch: batch(at(list, [0, 1])), context }]);
    expect(gathered).toMatchObject({ status: 'rejected', reason: { code: NO_EVENTS_REFUSED, message: expect.stringMatching(/appends no events/) } });
    expect(await applied()).toEqual([]);
    expect(await checkpoint()).toBeNull();
    expect((await sql.query('SELECT count(*)::int AS n FROM sf_dead_letters')).rows[0].n).toBe(0);
  });

  it('lets a processor\'s transaction append (what it emits)', async () => {
    const list = feed();
    expect(await processor(appending('processor')).process(batch(at(list, [0, 1])), context)).toMatchObject({ applied: 2 });
    const [gathered] = await processor(appending('processor')).processMany([{ batch: batch(at(list, [2, 3])), context }]);
    expect(gathered).toMatchObject({ status: 'fulfilled', value: { applied: 2 } });
    expect(await applied()).toEqual(ids(1, 2, 3, 4));
  });
});
