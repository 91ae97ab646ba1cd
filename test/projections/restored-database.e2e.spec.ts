import { countsProjection } from './support/counts-projection';
import { FakeRelay } from './support/fake-relay';
import { applications, countsOf, Harness, openHarness } from './support/harness';
import { ProjectionRunner, type ProjectionRunnerOptions } from './support/lib';

const PARTITIONS = 4;
const keys = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ key: `stream-${(from + i) % 37}` }));

// The PostgreSQL checkpoint is what is true, not the Kafka group's offsets: a database restored
// from a backup is behind the offsets its group committed since, and the runner must read those
// partitions again from its checkpoints instead of going on from the group's offsets (which left
// the events in between out of the read model for good, silently). Both ways a runner commits
// (a fetch's partitions in one transaction, and each partition alone), on real Kafka.
describe('a projection runner whose database was restored from a backup older than its Kafka offsets', () => {
  let h: Harness;
  beforeAll(async () => (h = await openHarness('restored')));
  afterAll(async () => h.close());

  it.each([
    ['g_', 'gathered', {}],
    ['a_', 'alone', { fetchWindow: false }],
  ] as Array<[string, string, ProjectionRunnerOptions]>)('reads again from its checkpoints (%s: %s) and ends with every event applied once', async (prefix, name, options) => {
    const topic = `restored_${name}`;
    await h.log.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    const relay = new FakeRelay(h.log, topic);
    const definition = countsProjection({ name: `test.${name}`, topics: [topic], tablePrefix: prefix });
    const consumer = `test.${name}@v1`;
    const warnings: string[] = [];
    const logger = { log: () => undefined, warn: (m: string) => void warnings.push(m), error: (m: string) => process.stderr.write(`${m}\n`) };
    const run = async () => {
      const runner = new ProjectionRunner(h.db, h.log, definition, { ...options, logger });
      h.onClose(() => runner.stop());
      await runner.start();
      await runner.waitUntilCaughtUp(60000);
      return runner;
    };
    const tables = [`${prefix}counts_v1`, `${prefix}applied_v1`];

    await relay.publish(keys(0, 120));
    const first = await run();
    // The backup: the read model's tables and the consumer's checkpoints as they are now.
    for (const t of tables) await h.db.query(`CREATE TABLE backup_${t} AS SELECT * FROM ${t}`);
    await h.db.query(`CREATE TABLE backup_${prefix}checkpoints AS SELECT * FROM sf_checkpoints WHERE consumer = $1`, [consumer]);
    await relay.publish(keys(120, 80));
    await first.waitUntilCaughtUp(60000);
    await first.stop(); // the group's offsets now stand at the end of every partition

    // The restore: the tables and checkpoints go back to the backup.
    for (const t of tables) await h.db.query(`DELETE FROM ${t}; INSERT INTO ${t} SELECT * FROM backup_${t}`);
    await h.db.query(`DELETE FROM sf_checkpoints WHERE consumer = $1`, [consumer]);
    await h.db.query(`INSERT INTO sf_checkpoints SELECT * FROM backup_${prefix}checkpoints`);
    expect((await applications(h.db, `${prefix}applied`)).distinct).toBe(120);

    await relay.publish(keys(200, 40));
    const second = await run();
    expect(await countsOf(h.db, `${prefix}counts`)).toEqual(relay.expectedCounts());
    expect(await applications(h.db, `${prefix}applied`)).toEqual({ rows: 240, distinct: 240, twice: [] });
    // Only the 80 events after the backup and the 40 after the restore were applied again.
    expect(second.stats()).toMatchObject({ applied: 120 });
    // Which way each partition got back to its checkpoint (the seek at the join, or a batch from
    // the group's offset refused and read again) depends on whether a fetch beat the seek: both are
    // exact, so neither is asserted; a refused batch says so.
    for (const w of warnings) expect(w).toMatch(/^test\.\w+@v1 restored_\w+\/\d: delivered from offset \d+ but its checkpoint is at \d+ .*; reading again from \d+$/);
  }, 120000);
});
