import { eventually } from '../e2e-env';
import { FakeRelay } from './support/fake-relay';
import { applications, countsOf, Harness, measured, openHarness } from './support/harness';
import { partitionLag } from './support/lib';
import { spawnProjector } from './support/projector-process';

const KILLS = 15;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Invariant 4 (docs/architecture.md) under crashes: a projector killed at random moments, over and over, while a
// relay that also re-sends keeps publishing, ends with exactly the from-scratch fold.
describe('a projector killed mid-batch again and again', () => {
  let h: Harness;
  beforeAll(async () => (h = await openHarness('crash')));
  afterAll(async () => h.close());

  it('ends with the read model of a from-scratch fold, every event applied once', async () => {
    await h.log.ensureTopics([{ name: 'show_position', partitions: 6 }]);
    const relay = new FakeRelay(h.log, 'show_position');
    let sending = true;
    const sender = (async () => {
      for (let tx = 0; tx < 40; tx++) {
        await relay.publish(Array.from({ length: 100 }, (_, i) => ({ key: `user-${(tx * 100 + i) % 97}`, type: i % 10 === 9 ? 'test.Ignored' : undefined })));
        if (tx % 4 === 3) await relay.resendLast(60);
        // Telemetry of the same streams, interleaved: no sequence, so only offsets guard it.
        await relay.publishTelemetry(Array.from({ length: 25 }, (_, i) => ({ key: `user-${(tx * 25 + i) % 97}` })));
        await pause(150);
      }
      sending = false;
    })();

    const kills: Array<{ run: number; group: string; openTransactions: number; batchesThisRun: number; ms: number }> = [];
    for (let run = 1; run <= KILLS; run++) {
      // Every third run rejoins the projection's own group (its offsets are committed after the
      // checkpoint, so they lag it); the others use a fresh group that re-reads from offset 0, so
      // everything already applied comes again and must be dropped by the checkpoint.
      const group = run % 3 === 0 ? 'own' : `run${run}`;
      const started = Date.now();
      const child = spawnProjector(h, group === 'own' ? {} : { GROUP_SUFFIX: group });
      const wanted = 1 + Math.floor(Math.random() * 8);
      await eventually(
        async () => {
          if (child.process.exitCode !== null) throw new Error(`child exited early: ${child.stderr()}`);
          if (child.lines().filter((l) => l.startsWith('tx-open')).length >= wanted) return true;
          // Nothing left to apply: kill it wherever it is.
          if (!sending && child.lines().includes('started')) {
            const lags = await partitionLag(h.db.pool, h.log, 'test.counts@v1', ['show_position']);
            if (lags.every((l) => l.lag === 0)) return true;
          }
          return undefined;
        },
        40000,
        `run ${run} applying`,
      ).catch((error) => {
        child.process.kill('SIGKILL');
        throw error;
      });
      await pause(Math.floor(Math.random() * 30));
      child.process.kill('SIGKILL');
      await child.exited;
      const lines = child.lines();
      const opened = lines.filter((l) => l.startsWith('tx-open')).length;
      kills.push({
        run,
        group,
        // apply started but had not returned: the kill landed inside a transaction.
        openTransactions: opened - lines.filter((l) => l === 'tx-done').length,
        batchesThisRun: opened,
        ms: Date.now() - started,
      });
    }
    await sender;

    // The last run, in the projection's own group, runs to the end of the log and exits by itself.
    const last = spawnProjector(h, { CATCH_UP_MS: '90000' });
    const code = await last.exited;
    expect({ code, stderr: last.stderr() }).toEqual({ code: 0, stderr: '' });
    expect(last.lines()).toContain('caught-up');

    const lags = await partitionLag(h.db.pool, h.log, 'test.counts@v1', ['show_position']);
    const runs = await h.db.query(`SELECT count(DISTINCT instance)::int AS n FROM applied`);
    const midTransaction = kills.filter((k) => k.openTransactions > 0).length;
    measured('crash-recovery', {
      kills: kills.length,
      killedInsideTransaction: midTransaction,
      processesThatApplied: runs.rows[0].n,
      eventsPublished: relay.stored.length,
      telemetryPublished: relay.telemetry.length,
      countedEvents: relay.countedEvents(),
      relayResends: relay.resent,
      messagesOnTopic: (await h.log.offsets('show_position')).reduce((n, p) => n + p.high, 0),
      runs: kills.map((k) => `${k.group}:${k.batchesThisRun}b/${k.openTransactions}open/${k.ms}ms`),
    });

    expect(await countsOf(h.db, 'counts')).toEqual(relay.expectedCounts());
    const applied = await applications(h.db, 'applied');
    expect(applied).toEqual({ rows: relay.countedEvents(), distinct: relay.countedEvents(), twice: [] });
    expect(lags.map((l) => l.lag)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(kills).toHaveLength(KILLS);
    // The kill moments are random; while the projector has a backlog most land inside a transaction.
    expect(midTransaction).toBeGreaterThanOrEqual(KILLS / 3);
  }, 300000);
});
