import { eventually } from '../e2e-env';
import { countsProjection } from './support/counts-projection';
import { FakeRelay } from './support/fake-relay';
import { applications, countsOf, Harness, measured, openHarness, quietLogger } from './support/harness';
import { ProjectionRunner } from './support/lib';

const PARTITIONS = 12;

async function publishWithResends(relay: FakeRelay, batches: number, perBatch: number, keys: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    await relay.publish(Array.from({ length: perBatch }, (_, i) => ({ key: `post-${(b * perBatch + i) % keys}` })));
    if (b % 4 === 3) await relay.resendLast(perBatch); // a relay crash: the last transaction again
  }
}

// Scale-out through the consumer group; DESIGN invariant 4 across a rebalance.
describe('two runner instances in one consumer group', () => {
  let h: Harness;
  beforeAll(async () => (h = await openHarness('scale')));
  afterAll(async () => h.close());

  it('split the partitions, apply every event once, and one takes over when the other stops', async () => {
    await h.log.ensureTopics([{ name: 'likes', partitions: PARTITIONS }]);
    const relay = new FakeRelay(h.log, 'likes');
    const a = new ProjectionRunner(h.db, h.log, countsProjection({ topics: ['likes'], instance: 'a' }), { logger: quietLogger, maxBatchSize: 100 });
    const b = new ProjectionRunner(h.db, h.log, countsProjection({ topics: ['likes'], instance: 'b' }), { logger: quietLogger, maxBatchSize: 100 });
    await a.start();
    await b.start();
    const split = await eventually(
      async () => {
        const [pa, pb] = [a.assignment(), b.assignment()];
        return pa.length > 0 && pb.length > 0 && pa.length + pb.length === PARTITIONS ? { a: pa.length, b: pb.length } : undefined;
      },
      30000,
      'both instances holding partitions',
    );
    const owned = [...a.assignment(), ...b.assignment()].map((tp) => tp.partition).sort((x, y) => x - y);
    expect(owned).toEqual(Array.from({ length: PARTITIONS }, (_, i) => i));

    await publishWithResends(relay, 24, 100, 60);
    const t0 = Date.now();
    await a.waitUntilCaughtUp(60000);
    const phase1Ms = Date.now() - t0;
    expect(await countsOf(h.db, 'counts')).toEqual(relay.expectedCounts());
    expect(await applications(h.db, 'applied')).toEqual({ rows: relay.countedEvents(), distinct: relay.countedEvents(), twice: [] });
    const byInstance = await h.db.query(`SELECT instance, count(*)::int AS n, count(DISTINCT partition)::int AS partitions FROM applied GROUP BY instance ORDER BY instance`);
    expect(byInstance.rows.map((r) => r.instance)).toEqual(['a', 'b']);
    const phase1 = { events: relay.countedEvents(), resent: relay.resent, split, applied: byInstance.rows };

    // b leaves while events flow; a gets all twelve partitions and finishes what b left.
    const flowing = publishWithResends(relay, 12, 100, 60);
    await eventually(async () => (relay.countedEvents() >= 2400 + 300 ? true : undefined), 30000, 'events flowing');
    await b.stop();
    await eventually(async () => (a.assignment().length === PARTITIONS ? true : undefined), 30000, 'a holding every partition');
    await flowing;
    const before = relay.countedEvents();
    await publishWithResends(relay, 12, 100, 60);
    await a.waitUntilCaughtUp(60000);
    expect(await countsOf(h.db, 'counts')).toEqual(relay.expectedCounts());
    expect(await applications(h.db, 'applied')).toEqual({ rows: relay.countedEvents(), distinct: relay.countedEvents(), twice: [] });
    const late = await h.db.query(`SELECT instance, count(DISTINCT partition)::int AS partitions, count(*)::int AS n FROM applied_v1 a
      WHERE event_id = ANY($1::text[]) GROUP BY instance`, [relay.stored.slice(before).map((e) => e.eventId)]);
    expect(late.rows).toEqual([{ instance: 'a', partitions: PARTITIONS, n: relay.countedEvents() - before }]);
    const total = await h.db.query(`SELECT instance, count(*)::int AS n FROM applied GROUP BY instance ORDER BY instance`);
    await a.stop();
    measured('scale-out', { phase1, phase1CatchUpMs: phase1Ms, phase2: { events: relay.countedEvents() - 2400, afterStopAppliedByA: late.rows[0].n, totalResent: relay.resent, appliedPerInstance: total.rows } });
  });
});
