import { Client } from 'pg';
import { eventually } from '../e2e-env';
import { countsProjection } from './support/counts-projection';
import { FakeRelay } from './support/fake-relay';
import { applications, countsOf, Harness, measured, openHarness, quietLogger } from './support/harness';
import { ProjectionRunner, projectionStatus, RebuildProgress, rebuildProjection } from './support/lib';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads the view the way an API would, on its own connection, recording every total it sees. */
type ReaderResult = { samples: number; decreases: string[]; errors: string[]; totals: number[] };

function startReader(url: string): { stop(): Promise<ReaderResult> } {
  let running = true;
  const totals: number[] = [];
  const decreases: string[] = [];
  const errors: string[] = [];
  const done = (async () => {
    const client = new Client({ connectionString: url });
    client.on('error', (error) => errors.push(error.message));
    await client.connect();
    try {
      while (running) {
        try {
          const r = await client.query(`SELECT coalesce(sum(n), 0)::int AS total FROM counts`);
          const total = r.rows[0].total as number;
          const previous = totals[totals.length - 1];
          if (previous !== undefined && total < previous) decreases.push(`${previous} -> ${total}`);
          totals.push(total);
        } catch (error) {
          errors.push((error as Error).message);
        }
        await pause(5);
      }
    } finally {
      await client.end();
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { samples: totals.length, decreases, errors, totals };
    },
  };
}

// Invariant 5 (docs/architecture.md): a rebuild runs beside the live projection while events keep flowing, swaps
// when caught up, and equals the live fold; readers never see the model go back or disappear.
// (Rebuilding from the event store: rebuild-from-store.e2e.spec.ts.)
describe('rebuilding a projection', () => {
  let h: Harness;
  beforeAll(async () => (h = await openHarness('rebuild')));
  afterAll(async () => h.close());

  it('from Kafka while events flow: swaps without a gap and equals the fold of every event', async () => {
    await h.log.ensureTopics([{ name: 'posts', partitions: 6 }]);
    const relay = new FakeRelay(h.log, 'posts');
    const definition = countsProjection({ topics: ['posts'] });
    const live = new ProjectionRunner(h.db, h.log, definition, { logger: quietLogger, followIntervalMs: 500 });
    h.onClose(() => live.stop());
    await live.start();
    for (let tx = 0; tx < 60; tx++) await relay.publish(Array.from({ length: 100 }, (_, i) => ({ key: `post-${(tx * 7 + i) % 50}` })));
    await live.waitUntilCaughtUp(30000);
    expect(live.version).toBe(1);

    const historical = relay.countedEvents();
    let producing = true;
    h.onClose(() => (producing = false));
    const producer = (async () => {
      for (let tx = 0; producing; tx++) {
        await relay.publish(Array.from({ length: 20 }, (_, i) => ({ key: `post-${(tx + i) % 60}` })));
        if (tx % 10 === 9) await relay.resendLast(15);
        await pause(20);
      }
    })();
    const reader = startReader(h.url);
    h.onClose(() => reader.stop());
    await pause(300);
    const progress: RebuildProgress[] = [];
    const eventsBefore = relay.countedEvents();
    const result = await rebuildProjection({
      db: h.db,
      log: h.log,
      // Slower than the live runner (as a changed model may well be): at any moment the rebuild
      // trails the live version, which is exactly when a careless swap would set readers back.
      definition: countsProjection({ topics: ['posts'], instance: 'rebuild', delayMs: () => 40 }),
      maxBatchSize: 100,
      from: 'kafka',
      graceMs: 2000,
      timeoutMs: 60000,
      logger: quietLogger,
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({ projection: 'test.counts', version: 2, previousVersion: 1 });
    // Where the time went adds up to it; the grace period (2 s) is part of the stop.
    const { prepareMs, storeMs, foldMs, swapMs, stopMs } = result.phases;
    expect(storeMs).toBe(0); // from Kafka alone
    expect(prepareMs + storeMs + foldMs + swapMs + stopMs).toBe(result.durationMs);
    expect(stopMs).toBeGreaterThanOrEqual(1990);
    const eventsAtSwap = relay.countedEvents();
    // The live runner follows the swap and goes on with v2.
    await eventually(async () => (live.version === 2 ? true : undefined), 10000, 'live runner on v2');
    await pause(500);
    producing = false;
    await producer;
    await live.waitUntilCaughtUp(30000);
    const seen = await reader.stop();

    expect(seen.errors).toEqual([]);
    expect(seen.decreases).toEqual([]);
    // The reader saw the full live model from its first look on, and the swap never set it back.
    expect(seen.totals[0]).toBeGreaterThanOrEqual(historical);
    expect(await countsOf(h.db, 'counts')).toEqual(relay.expectedCounts());
    expect(await countsOf(h.db, 'counts_v2')).toEqual(relay.expectedCounts());
    // v2 was built by the rebuild runner and then the live one, both on consumer v2: still each event once.
    expect(await applications(h.db, 'applied_v2')).toEqual({ rows: relay.countedEvents(), distinct: relay.countedEvents(), twice: [] });
    const views = await h.db.query(`SELECT viewname, definition FROM pg_views WHERE viewname IN ('counts', 'applied') ORDER BY 1`);
    expect(views.rows.map((r) => [r.viewname, /_v2\b/.test(r.definition)])).toEqual([['applied', true], ['counts', true]]);
    const [status] = await projectionStatus(h.db, h.log, [definition]);
    expect(status).toMatchObject({ name: 'test.counts', activeVersion: 2, totalLag: 0, pendingDeadLetters: 0 });
    expect(status.versions.map((v) => [v.version, v.status])).toEqual([[1, 'retired'], [2, 'live']]);
    expect(progress.map((p) => p.phase)).toContain('swapped');
    expect(progress[progress.length - 1]).toMatchObject({ phase: 'done' });
    await live.stop();

    // Both wrote v2: the rebuild folded the history, then the live process went on with it.
    const byWriter = await h.db.query(`SELECT instance, count(*)::int AS n FROM applied_v2 GROUP BY instance ORDER BY instance`);
    expect(byWriter.rows.map((r) => r.instance)).toEqual(['main', 'rebuild']);
    measured('rebuild-from-kafka', {
      eventsBeforeRebuild: eventsBefore,
      eventsAtSwap,
      eventsTotal: relay.countedEvents(),
      relayResends: relay.resent,
      rebuildMs: result.durationMs,
      rebuildPhases: result.phases,
      rebuildProcessed: result.processed,
      lastProgress: progress[progress.length - 1],
      progressReports: progress.length,
      readerSamples: seen.samples,
      readerFirstTotal: seen.totals[0],
      readerLastTotal: seen.totals[seen.totals.length - 1],
      appliedToV2By: byWriter.rows,
    });
  });
});
