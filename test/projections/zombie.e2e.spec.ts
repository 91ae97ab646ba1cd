import { eventually } from '../e2e-env';
import { FakeRelay } from './support/fake-relay';
import { applications, countsOf, Harness, measured, openHarness } from './support/harness';
import { partitionLag } from './support/lib';
import { killProjector, ProjectorProcess, spawnProjector } from './support/projector-process';

const PARTITIONS = 4;
const KEYS = Array.from({ length: 40 }, (_, i) => `k-${i}`);
const CONSUMER = 'test.counts@v1';

/** Waits for a line starting with `prefix` and returns it. */
const line = (p: ProjectorProcess, prefix: string, timeoutMs = 60000) =>
  eventually(async () => {
    if (p.process.exitCode !== null) throw new Error(`projector exited: ${p.stderr()}`);
    return p.lines().find((l) => l.startsWith(prefix));
  }, timeoutMs, `"${prefix}" from a projector`);

// invariant 4 of docs/architecture.md with two owners of one partition: a member paused (SIGSTOP) past the Kafka
// session timeout loses its partitions but does not know it. When it resumes, one of its batches
// is inside a transaction holding the checkpoint row lock and one is still in memory; the
// checkpoint, locked FOR UPDATE and re-read in every batch's transaction, keeps both exact.
describe('a zombie projector resumed after the group gave its partitions away', () => {
  let h: Harness;
  const children: ProjectorProcess[] = [];
  beforeAll(async () => (h = await openHarness('zombie')));
  afterAll(async () => {
    await Promise.all(children.map(killProjector));
    await h.close();
  });

  it('applies no event twice: its stale batch is dropped, its locked batch makes the new owner wait', async () => {
    await h.log.ensureTopics([{ name: 'likes', partitions: PARTITIONS }]);
    const relay = new FakeRelay(h.log, 'likes');
    const spawn = (instance: string, extra: Record<string, string> = {}) => {
      const url = new URL(h.url);
      url.searchParams.set('application_name', `sf-${instance}`);
      const child = spawnProjector(h, { TOPIC: 'likes', INSTANCE: instance, NO_DELAY: '1', MAX_BATCH: '100', DATABASE_URL: url.toString(), ...extra });
      children.push(child);
      return child;
    };
    const zombie = spawn('zombie', { ZOMBIE: '1' });
    const survivor = spawn('survivor');
    const lags = async () => Object.fromEntries((await partitionLag(h.db.pool, h.log, CONSUMER, ['likes'])).map((l) => [l.partition, l.lag]));
    const appliedBy = async (ids: string[]) =>
      (await h.db.query(`SELECT instance, count(*)::int AS n FROM applied WHERE event_id = ANY($1::text[]) GROUP BY instance ORDER BY instance`, [ids])).rows;

    // Phase 1: both members hold two partitions each and apply their share.
    await relay.publish(KEYS.flatMap((key) => Array.from({ length: 5 }, () => ({ key }))));
    await eventually(async () => {
      const [z, s] = [zombie.assigned(), survivor.assigned()];
      const n = (await h.db.query(`SELECT count(*)::int AS n FROM applied`)).rows[0].n;
      return z?.length === 2 && s?.length === 2 && n === relay.countedEvents() ? true : undefined;
    }, 90000, 'both members holding two partitions and every phase-1 event applied');
    const [partA, partB] = zombie.assigned()!;
    const keyOn = async (partition: number) =>
      (await h.db.query(`SELECT min(key) AS key FROM applied WHERE partition = $1`, [partition])).rows[0].key as string;
    const keys = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => keyOn(p)));
    expect(keys.every(Boolean)).toBe(true);

    // The gate holds the zombie's fetcher while both next batches are published, so they arrive
    // in one fetch and are in flight together when the zombie is stopped.
    await relay.publish([{ key: keys[partA], data: { zombie: 'gate' } }]);
    await line(zombie, 'gate');
    const slow = await relay.publish(Array.from({ length: 20 }, () => ({ key: keys[partA], data: { zombie: 'slow' } })));
    const held = await relay.publish(Array.from({ length: 20 }, () => ({ key: keys[partB], data: { zombie: 'hold' } })));
    zombie.process.stdin!.write('go\n');
    await line(zombie, 'tx-open slow');
    const heldLine = await line(zombie, 'held');
    zombie.process.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const rebalancesAtStop = zombie.rebalances();

    // Events keep coming to every partition while the zombie is stopped.
    const whilePaused = await relay.publish(keys.flatMap((key) => Array.from({ length: 10 }, () => ({ key }))));
    await eventually(async () => (survivor.assigned()?.length === PARTITIONS ? true : undefined), 90000, 'the survivor holding every partition');
    const takeoverMs = Date.now() - stoppedAt;
    // Stopped where it was paused (the holds last HOLD_MS, far longer than the parent takes to
    // send SIGSTOP): inside the slow transaction, and before the held batch's.
    expect(zombie.lines().filter((l) => l === 'tx-done slow' || l.startsWith('released'))).toEqual([]);
    await eventually(async () => {
      const lag = await lags();
      return Object.entries(lag).every(([p, n]) => Number(p) === partA || n === 0) && lag[partA] > 0 ? true : undefined;
    }, 60000, 'the survivor to apply every partition but the locked one');
    await eventually(async () => {
      // By prefix: while a read model's transaction runs, its session's name ends with NO_EVENTS_MARK.
      const r = await h.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity w JOIN pg_stat_activity z ON z.pid = ANY(pg_blocking_pids(w.pid))
        WHERE w.application_name LIKE 'sf-survivor%' AND z.application_name LIKE 'sf-zombie%'`);
      return r.rows[0].n > 0 ? true : undefined;
    }, 30000, "the survivor waiting for the zombie's checkpoint lock");

    zombie.process.kill('SIGCONT');
    const resumedAt = Date.now();
    const released = await line(zombie, 'released');
    await line(zombie, 'tx-done slow');
    await eventually(async () => (Object.values(await lags()).every((n) => n === 0) ? true : undefined), 60000, 'every partition caught up');

    // The resumed zombie rejoins and takes its share of new events again.
    await eventually(async () => {
      const [z, s] = [zombie.assigned() ?? [], survivor.assigned() ?? []];
      return zombie.rebalances() > rebalancesAtStop && z.length > 0 && s.length > 0 && z.length + s.length === PARTITIONS ? true : undefined;
    }, 90000, 'the zombie back in the group with partitions');
    const after = await relay.publish(KEYS.flatMap((key) => Array.from({ length: 5 }, () => ({ key }))));
    await eventually(async () => (Object.values(await lags()).every((n) => n === 0) ? true : undefined), 60000, 'every partition caught up again');

    const ids = (events: Array<{ eventId: string }>) => events.map((e) => e.eventId);
    const dup = (l: string) => Number(/dup=(\d+)/.exec(l)![1]);
    const heldCount = Number(/ n=(\d+)/.exec(heldLine)![1]);
    measured('zombie', { takeoverMs, pausedMs: resumedAt - stoppedAt, heldLine, released, events: relay.countedEvents() });

    expect(await countsOf(h.db, 'counts')).toEqual(relay.expectedCounts());
    expect(await applications(h.db, 'applied')).toEqual({ rows: relay.countedEvents(), distinct: relay.countedEvents(), twice: [] });
    // The locked batch: committed by the zombie once resumed; the survivor's copy was dropped.
    expect(await appliedBy(ids(slow))).toEqual([{ instance: 'zombie', n: slow.length }]);
    // The stale batch: applied by the survivor; the zombie's copy went through a transaction
    // after it resumed and was counted as duplicates, every message of it.
    expect(await appliedBy(ids(held))).toEqual([{ instance: 'survivor', n: held.length }]);
    expect({ heldCount, droppedAsDuplicates: dup(released) - dup(heldLine) }).toEqual({ heldCount: held.length, droppedAsDuplicates: held.length });
    // What came while the zombie was stopped, its old partitions included, the survivor applied.
    expect(await appliedBy(ids(whilePaused))).toEqual([{ instance: 'survivor', n: whilePaused.length }]);
    expect((await appliedBy(ids(after))).map((r) => r.instance)).toEqual(['survivor', 'zombie']);
  }, 300000);
});
