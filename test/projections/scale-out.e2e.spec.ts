import { eventually } from '../e2e-env';
import { countsProjection } from './support/counts-projection';
import { FakeRelay } from './support/fake-relay';
import { applications, countsOf, Harness, measured, openHarness, quietLogger } from './support/harness';
import { ProjectionRunner } from './support/lib';
import { killProjector, ProjectorProcess, spawnProjector } from './support/projector-process';

const PARTITIONS = 12;

async function publishWithResends(relay: FakeRelay, batches: number, perBatch: number, keys: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    await relay.publish(Array.from({ length: perBatch }, (_, i) => ({ key: `post-${(b * perBatch + i) % keys}` })));
    if (b % 4 === 3) await relay.resendLast(perBatch); // a relay crash: the last transaction again
  }
}

// Scale-out through the consumer group; invariant 4 of docs/architecture.md across a rebalance. Instance b is a
// process of its own so it can die by SIGKILL (mid-batch, its offsets uncommitted, its group
// membership left to expire), not by a graceful stop that hands its partitions over cleanly.
describe('two runner instances in one consumer group', () => {
  let h: Harness;
  let b: ProjectorProcess | undefined;
  beforeAll(async () => (h = await openHarness('scale')));
  afterAll(async () => {
    if (b) await killProjector(b);
    await h.close();
  });

  it('split the partitions, apply every event once, and one takes over when the other is SIGKILLed', async () => {
    await h.log.ensureTopics([{ name: 'likes', partitions: PARTITIONS }]);
    const relay = new FakeRelay(h.log, 'likes');
    const a = new ProjectionRunner(h.db, h.log, countsProjection({ topics: ['likes'], instance: 'a' }), { logger: quietLogger, maxBatchSize: 100 });
    h.onClose(() => a.stop());
    await a.start();
    const child = (b = spawnProjector(h, { TOPIC: 'likes', INSTANCE: 'b', MAX_BATCH: '100' }));
    const split = await eventually(
      async () => {
        if (child.process.exitCode !== null) throw new Error(`b exited: ${child.stderr()}`);
        const [pa, pb] = [a.assignment(), child.assigned() ?? []];
        return pa.length > 0 && pb.length > 0 && pa.length + pb.length === PARTITIONS ? { a: pa.length, b: pb.length } : undefined;
      },
      60000,
      'both instances holding partitions',
    );
    const owned = [...a.assignment().map((tp) => tp.partition), ...(child.assigned() ?? [])].sort((x, y) => x - y);
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

    // b dies while events flow and it is applying them; after the session timeout a gets all
    // twelve partitions and finishes what b left, from checkpoints b's last transactions moved.
    // (b sleeps 10-40 ms inside each transaction, so the kill often lands in one.)
    const opened = () => child.lines().filter((l) => l.startsWith('tx-open')).length;
    const done = () => child.lines().filter((l) => l === 'tx-done').length;
    const openedBefore = opened();
    const flowing = publishWithResends(relay, 12, 100, 60);
    await eventually(
      async () => (relay.countedEvents() >= 2400 + 300 && opened() > openedBefore && opened() > done() ? true : undefined),
      30000,
      'b inside a transaction of flowing events',
    );
    child.process.kill('SIGKILL');
    expect((await child.exited) === null && child.process.signalCode).toBe('SIGKILL');
    const killedInsideTransaction = opened() > done();
    await eventually(async () => (a.assignment().length === PARTITIONS ? true : undefined), 60000, 'a holding every partition');
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
    measured('scale-out', { phase1, phase1CatchUpMs: phase1Ms, killedInsideTransaction, phase2: { events: relay.countedEvents() - 2400, afterKillAppliedByA: late.rows[0].n, totalResent: relay.resent, appliedPerInstance: total.rows } });
  });
});
