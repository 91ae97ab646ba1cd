import { Kafka, logLevel } from 'kafkajs';
import { KafkaMessageLog, LogMessage, partitionForKey } from '@streamfold/messaging';
import { deleteTopics, eventually, KAFKA_BROKERS, topicPrefix } from '../e2e-env';

describe('Kafka broker started by scripts/kafka.sh', () => {
  const prefix = topicPrefix('kafka');
  const log = new KafkaMessageLog({ brokers: KAFKA_BROKERS, clientId: 'e2e', prefix });
  const kafka = new Kafka({ brokers: KAFKA_BROKERS, clientId: 'e2e-raw', logLevel: logLevel.NOTHING });

  afterAll(async () => {
    await deleteTopics(prefix);
    await log.close();
  });

  it('creates topics with the admin client, prefixed, with the asked partition count', async () => {
    await log.ensureTopics([{ name: 'orders', partitions: 6 }, { name: 'audit', partitions: 1, retentionMs: 3600000 }]);
    await log.ensureTopics([{ name: 'orders', partitions: 6 }]); // idempotent
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [`${prefix}orders`, `${prefix}audit`] });
    await admin.disconnect();
    expect(meta.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
      [`${prefix}audit`, 1],
      [`${prefix}orders`, 6],
    ]);
    // One broker: replication stays the broker's default (min(3, brokers) = 1), as before clusters.
    expect(meta.topics.flatMap((t) => t.partitions.map((p) => p.replicas.length))).toEqual(Array(7).fill(1));
  });

  it('produces keyed messages and consumes each once through a consumer group, in key order', async () => {
    await log.ensureTopics([{ name: 'likes', partitions: 4 }]);
    const sent = Array.from({ length: 200 }, (_, i) => ({ key: `post-${i % 7}`, value: JSON.stringify({ i }) }));
    await log.send('likes', sent);
    const seen: LogMessage[] = [];
    const consumer = await log.consume({
      groupId: 'counter',
      topics: ['likes'],
      eachBatch: async (batch) => void seen.push(...batch.messages),
    });
    await eventually(async () => (seen.length >= 200 ? true : undefined), 30000, '200 messages');
    await consumer.stop();
    expect(seen).toHaveLength(200);
    expect(new Set(seen.map((m) => `${m.partition}:${m.offset}`)).size).toBe(200);
    for (let k = 0; k < 7; k++) {
      const values = seen.filter((m) => m.key === `post-${k}`).map((m) => JSON.parse(m.value.toString()).i);
      // The producer picks every partition itself: a key lands where Kafka's Java client puts it.
      expect([...new Set(seen.filter((m) => m.key === `post-${k}`).map((m) => m.partition))]).toEqual([partitionForKey(`post-${k}`, 4, 0)]);
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
    const committed = await log.committedOffsets('counter', 'likes');
    const ends = await log.offsets('likes');
    for (const p of ends) expect(committed.get(p.partition) ?? 0).toBe(p.high);
  });

  it('leaves an idle consumer\'s connections without a timer loop (kafkajs 2.2.4 checked every connection\'s queue every millisecond)', async () => {
    await log.ensureTopics([{ name: 'quiet', partitions: 2 }]);
    await log.send('quiet', [{ key: 'k', value: 'v' }]);
    let seen = 0;
    const consumer = await log.consume({ groupId: 'quiet', topics: ['quiet'], eachBatch: async (batch) => void (seen += batch.messages.length) });
    await eventually(async () => (seen >= 1 ? true : undefined), 30000, 'the message');
    // Idle now: the producer, the admin and the consumer's connections have all answered requests.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const queue = require('kafkajs/src/network/requestQueue').prototype as { checkPendingRequests(): void };
    const original = queue.checkPendingRequests;
    let checks = 0;
    queue.checkPendingRequests = function (this: unknown) {
      checks++;
      return original.call(this);
    };
    try {
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      queue.checkPendingRequests = original;
      await consumer.stop();
    }
    // Answers (a fetch every 500 ms, a heartbeat a second) check the queue a few times a second;
    // the loop made it about a thousand times a second per connection.
    expect(checks).toBeLessThan(100);
  });

  it('fetches past a deferred batch at once, and commits it only once it is durable, in order; a rejected one is never committed', async () => {
    await log.ensureTopics([{ name: 'deferred', partitions: 1 }]);
    await log.send('deferred', Array.from({ length: 30 }, (_, i) => ({ key: 'k', value: String(i) })));
    const gates: Array<{ offsets: number[]; open(): void; fail(error: Error): void }> = [];
    const consumer = await log.consume({
      groupId: 'deferring',
      topics: ['deferred'],
      maxBatchSize: 10,
      eachBatch: async (batch) => {
        let open!: () => void;
        let fail!: (error: Error) => void;
        const durable = new Promise<void>((resolve, reject) => ((open = resolve), (fail = reject)));
        durable.catch(() => undefined);
        gates.push({ offsets: batch.messages.map((m) => m.offset), open, fail });
        return { durable };
      },
    });
    const committed = async () => (await log.committedOffsets('deferring', 'deferred')).get(0) ?? 0;
    // All three batches are handed out although none is durable yet.
    await eventually(async () => (gates.length === 3 ? true : undefined), 30000, 'three deferred batches');
    expect(gates.map((g) => g.offsets[0])).toEqual([0, 10, 20]);
    // The second durable first: nothing may be committed past the first, still pending.
    gates[1].open();
    await new Promise((r) => setTimeout(r, 2500)); // two commit intervals
    expect(await committed()).toBe(0);
    gates[0].open();
    await eventually(async () => ((await committed()) === 20 ? true : undefined), 10000, 'offset 20 committed');
    // The third is refused: its offsets are never committed, not even by stop().
    gates[2].fail(new Error('write failed'));
    await consumer.stop();
    expect(await committed()).toBe(20);
  });

  it('commits and aborts a kafkajs transaction; read_committed consumers see only the commit', async () => {
    await log.ensureTopics([{ name: 'tx', partitions: 1 }]);
    const topic = `${prefix}tx`;
    const producer = kafka.producer({ transactionalId: `${prefix}tx-producer`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ key: 'a', value: 'kept-1' }, { key: 'a', value: 'kept-2' }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'a', value: 'dropped' }] });
    await aborted.abort();
    const last = await producer.transaction();
    await last.send({ topic, messages: [{ key: 'a', value: 'kept-3' }] });
    await last.commit();
    await producer.disconnect();

    const values: string[] = [];
    const consumer = kafka.consumer({ groupId: `${prefix}tx-reader`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    await eventually(async () => (values.length >= 3 ? true : undefined), 30000, 'committed messages');
    await new Promise((r) => setTimeout(r, 500));
    await consumer.disconnect();
    expect(values).toEqual(['kept-1', 'kept-2', 'kept-3']);
  });
});
