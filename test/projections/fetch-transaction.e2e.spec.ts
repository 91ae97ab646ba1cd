import { partitionForKey } from '@streamfold/messaging';
import { countsProjection } from './support/counts-projection';
import { FakeRelay } from './support/fake-relay';
import { applications, countsOf, Harness, openHarness, quietLogger } from './support/harness';
import { ProjectionRunner } from './support/lib';

const PARTITIONS = 8;

/** Transactions and partitions behind each application of the read model with this table prefix. */
async function shape(h: Harness, prefix: string): Promise<{ transactions: number; partitions: number }> {
  const { rows } = await h.db.query<{ transactions: number; partitions: number }>(`SELECT count(DISTINCT tx)::int AS transactions, count(DISTINCT partition)::int AS partitions FROM ${prefix}applied`);
  return rows[0];
}

// The runner's fetch window on real Kafka and PostgreSQL: kafkajs hands every partition batch of a
// fetch over in one turn of the event loop, and the default window (0: that turn, no wait) commits
// them in one transaction, each partition's checkpoint in it; gathering off, one per partition.
describe('a projection runner on a fetch spread over every partition', () => {
  let h: Harness;
  beforeAll(async () => (h = await openHarness('fetchtx')));
  afterAll(async () => h.close());

  it('commits a fetch of eight partitions in one transaction by default, and in eight with gathering off', async () => {
    await h.log.ensureTopics([{ name: 'likes', partitions: PARTITIONS }]);
    const relay = new FakeRelay(h.log, 'likes');
    // Eight streams per partition, all published before either runner's first fetch.
    const keys: string[] = [];
    for (let i = 0; keys.length < PARTITIONS * 8; i++) {
      const key = `post-${i}`;
      if (keys.filter((k) => partitionForKey(k, PARTITIONS, 0) === partitionForKey(key, PARTITIONS, 0)).length < 8) keys.push(key);
    }
    await relay.publish(keys.map((key) => ({ key })));

    const runners = [
      new ProjectionRunner(h.db, h.log, countsProjection({ name: 'test.gathered', topics: ['likes'], tablePrefix: 'g_' }), { logger: quietLogger }),
      new ProjectionRunner(h.db, h.log, countsProjection({ name: 'test.alone', topics: ['likes'], tablePrefix: 'a_' }), { logger: quietLogger, fetchWindow: false }),
    ];
    for (const r of runners) {
      h.onClose(() => r.stop());
      await r.start();
    }
    for (const r of runners) await r.waitUntilCaughtUp(60000);

    for (const prefix of ['g_', 'a_']) {
      expect(await countsOf(h.db, `${prefix}counts`)).toEqual(relay.expectedCounts());
      expect(await applications(h.db, `${prefix}applied`)).toEqual({ rows: keys.length, distinct: keys.length, twice: [] });
    }
    expect(await shape(h, 'g_')).toEqual({ transactions: 1, partitions: PARTITIONS });
    expect(await shape(h, 'a_')).toEqual({ transactions: PARTITIONS, partitions: PARTITIONS });
  });
});
