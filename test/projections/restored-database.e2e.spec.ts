import { Kafka, logLevel } from 'kafkajs';
import type { MessageLog, OutgoingMessage } from '@streamfold/messaging';
import { KAFKA_BROKERS } from '../e2e-env';
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
    for (const w of warnings) expect(w).toMatch(/^test\.\w+@v1 restored_\w+\/\d: delivered from offset \d+ \(read from \d+\) but its checkpoint is at \d+ .*; reading again from \d+$/);
  }, 120000);

  /**
   * A running runner applies 120 events, then its read model and checkpoints go back 60 events, as
   * a server crash does to commits not yet flushed, while the consumer's position in memory stays
   * past them.
   */
  async function setBackUnderRunner(name: string, prefix: string, options: ProjectionRunnerOptions = {}) {
    const topic = `restored_${name}`;
    const consumer = `test.${name}@v1`;
    await h.log.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    const relay = new FakeRelay(h.log, topic);
    const definition = countsProjection({ name: `test.${name}`, topics: [topic], tablePrefix: prefix });
    const warnings: string[] = [];
    const logger = { log: () => undefined, warn: (m: string) => void warnings.push(m), error: (m: string) => process.stderr.write(`${m}\n`) };
    const runner = new ProjectionRunner(h.db, h.log, definition, { ...options, logger });
    h.onClose(() => runner.stop());
    await runner.start();
    await relay.publish(keys(0, 60));
    await runner.waitUntilCaughtUp(60000);
    const tables = [`${prefix}counts_v1`, `${prefix}applied_v1`];
    for (const t of tables) await h.db.query(`CREATE TABLE backup_${t} AS SELECT * FROM ${t}`);
    await h.db.query(`CREATE TABLE backup_${prefix}checkpoints AS SELECT * FROM sf_checkpoints WHERE consumer = $1`, [consumer]);
    await relay.publish(keys(60, 60));
    await runner.waitUntilCaughtUp(60000);
    await h.db.transaction(async (sql) => {
      await sql.query(`SELECT 1 FROM sf_checkpoints WHERE consumer = $1 FOR UPDATE`, [consumer]);
      for (const t of tables) await sql.query(`DELETE FROM ${t}; INSERT INTO ${t} SELECT * FROM backup_${t}`);
      await sql.query(`UPDATE sf_checkpoints c SET next_offset = b.next_offset, seq_tx = b.seq_tx, seq_position = b.seq_position
        FROM backup_${prefix}checkpoints b WHERE c.consumer = b.consumer AND c.topic = b.topic AND c.partition = b.partition`);
    });
    expect((await applications(h.db, `${prefix}applied`)).distinct).toBe(60);
    return { runner, relay, warnings };
  }

  it('reads again from a checkpoint that went back under a running runner (PostgreSQL lost its last commits), on the next batch', async () => {
    const { runner, relay, warnings } = await setBackUnderRunner('running', 'r_');
    // Every partition gets a new event, so each delivers a batch that starts past its checkpoint.
    await relay.publish(keys(120, 40));
    await runner.waitUntilCaughtUp(60000);
    expect(await countsOf(h.db, 'r_counts')).toEqual(relay.expectedCounts());
    expect(await applications(h.db, 'r_applied')).toEqual({ rows: 160, distinct: 160, twice: [] });
    expect(warnings.filter((w) => /^test\.running@v1 restored_running\/\d: delivered from offset \d+ \(read from \d+\) but its checkpoint is at \d+ .*; reading again from \d+$/.test(w)).length).toBeGreaterThan(0);
  }, 120000);

  it('reads again from a checkpoint that went back under a running runner on a partition that gets no new event, at its next check', async () => {
    // Nothing new comes: no batch will start past a checkpoint, so only the runner's own check can tell.
    const { runner, relay, warnings } = await setBackUnderRunner('quiet', 'q_', { watchdogIntervalMs: 500 });
    await runner.waitUntilCaughtUp(60000);
    expect(await countsOf(h.db, 'q_counts')).toEqual(relay.expectedCounts());
    expect(await applications(h.db, 'q_applied')).toEqual({ rows: 120, distinct: 120, twice: [] });
    const behind = warnings.filter((w) => /^test\.quiet@v1: checkpoints behind what this runner committed on restored_quiet\/\d at \d+ \(committed \d+\)/.test(w));
    expect(behind).toHaveLength(1);
  }, 120000);

  it("reads a transactional topic without refusing a batch at its transactions' markers, and skips aborted records", async () => {
    const topic = 'restored_tx';
    await h.log.ensureTopics([{ name: topic, partitions: 2 }]);
    const kafka = new Kafka({ brokers: KAFKA_BROKERS, clientId: 'restored-tx', logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: `${h.prefix}tx`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    h.onClose(() => producer.disconnect());
    // Each publish is one transaction: its records, then a commit marker (or an abort marker).
    const transactional = (end: 'commit' | 'abort') =>
      ({
        send: async (_: string, messages: OutgoingMessage[]) => {
          const tx = await producer.transaction();
          await tx.send({ topic: `${h.prefix}${topic}`, messages: messages.map((m) => ({ key: m.key, value: m.value as string, headers: m.headers })) });
          await (end === 'commit' ? tx.commit() : tx.abort());
        },
      }) as unknown as MessageLog;
    const relay = new FakeRelay(transactional('commit'), topic);
    const aborted = new FakeRelay(transactional('abort'), topic);
    const definition = countsProjection({ name: 'test.tx', topics: [topic], tablePrefix: 't_' });
    const warnings: string[] = [];
    // Checked often: checkpoints past the markers must never look behind what the runner committed.
    const logger = { log: () => undefined, warn: (m: string) => void warnings.push(m), error: (m: string) => process.stderr.write(`${m}\n`) };
    const runner = new ProjectionRunner(h.db, h.log, definition, { logger, watchdogIntervalMs: 200 });
    h.onClose(() => runner.stop());
    for (let i = 0; i < 5; i++) await relay.publish(keys(i * 10, 10));
    await aborted.publish(keys(0, 10));
    await runner.start();
    await runner.waitUntilCaughtUp(60000);
    for (let i = 5; i < 10; i++) {
      await relay.publish(keys(i * 10, 10));
      if (i % 2 === 0) await aborted.publish(keys(i, 5));
    }
    // The markers sit after the last records: caught up means the checkpoints moved past them.
    await runner.waitUntilCaughtUp(60000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a few checks
    expect(await countsOf(h.db, 't_counts')).toEqual(relay.expectedCounts());
    expect(await applications(h.db, 't_applied')).toEqual({ rows: 100, distinct: 100, twice: [] });
    expect(warnings).toEqual([]);
  }, 120000);

  it('starts a partition whose checkpoint retention dropped at the log start, naming the offsets never applied', async () => {
    const topic = 'restored_retention';
    await h.log.ensureTopics([{ name: topic, partitions: 1 }]);
    const relay = new FakeRelay(h.log, topic);
    await relay.publish(keys(0, 30));
    // Retention removes the first 10 records before this projection ever ran.
    const admin = new Kafka({ brokers: KAFKA_BROKERS, clientId: 'restored-retention', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: [`${h.prefix}${topic}`] }); // deleteTopicRecords needs it loaded
      await admin.deleteTopicRecords({ topic: `${h.prefix}${topic}`, partitions: [{ partition: 0, offset: '10' }] });
    } finally {
      await admin.disconnect();
    }
    const definition = countsProjection({ name: 'test.retention', topics: [topic], tablePrefix: 'l_' });
    const warnings: string[] = [];
    const runner = new ProjectionRunner(h.db, h.log, definition, { logger: { log: () => undefined, warn: (m: string) => void warnings.push(m), error: (m: string) => process.stderr.write(`${m}\n`) } });
    h.onClose(() => runner.stop());
    await runner.start();
    await runner.waitUntilCaughtUp(60000);
    expect(await applications(h.db, 'l_applied')).toEqual({ rows: 20, distinct: 20, twice: [] });
    expect(warnings).toEqual([expect.stringMatching(/^test\.retention@v1 restored_retention\/0: offsets 0\.\.9 were never applied and the log no longer holds them \(retention\)/)]);
  }, 120000);
});
