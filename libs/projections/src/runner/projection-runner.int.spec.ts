import { toWire } from '@streamfold/core';
import { EmbeddedMessageLog, type ConsumeOptions, type ConsumerHandle } from '@streamfold/messaging';
import type { Sql } from '@streamfold/runtime';
import { deliveries, pgliteDatabase, PgliteDatabase, PgliteWorker, pgliteSql, startPglite } from '@streamfold/testing';
import type { QueryRunner } from 'typeorm';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS } from '@streamfold/runtime';
import type { Delivery, ProjectionDefinition } from '../projection';
import { swapVersion } from '../rebuild/swap';
import { ProjectionRunner, ProjectionRunnerOptions } from './projection-runner';

// The ProjectionRunner as deployed, minus Kafka and the server: the in-process log delivers
// (and redelivers) batches, PGlite holds the read model, checkpoints and versions.
const TOPIC = 'tallied';
let worker: PgliteWorker;
let sql: Sql;
let db: PgliteDatabase;
let log: EmbeddedMessageLog;
const runners: ProjectionRunner[] = [];
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  worker = await startPglite();
  sql = pgliteSql(worker);
  db = pgliteDatabase(worker);
  for (const M of MIGRATIONS) await new M().up({ query: (text: string) => sql.query(text) } as unknown as QueryRunner);
}, 30_000);
beforeEach(async () => {
  log = new EmbeddedMessageLog();
  await log.ensureTopics([{ name: TOPIC, partitions: 2 }]);
});
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
  await log.close();
});
afterAll(() => worker?.close());

/** Counts events per stream and keeps every id it applied, so a duplicate cannot hide. */
const tally = (name: string): ProjectionDefinition => ({
  name,
  kind: 'projection',
  topics: [TOPIC],
  tables: [`${name}_tally`],
  async setup(ctx) {
    await ctx.sql.query(`CREATE TABLE IF NOT EXISTS ${ctx.table(`${name}_tally`)} (stream text PRIMARY KEY, events bigint NOT NULL, ids text[] NOT NULL)`);
  },
  async apply(batch, ctx) {
    for (const d of batch) {
      await ctx.sql.query(
        `INSERT INTO ${ctx.table(`${name}_tally`)} VALUES ($1, 1, ARRAY[$2]) ON CONFLICT (stream) DO UPDATE SET events = EXCLUDED.events + ${ctx.table(`${name}_tally`)}.events, ids = ${ctx.table(`${name}_tally`)}.ids || $2`,
        [d.envelope.streamId, d.envelope.eventId],
      );
    }
  },
});

// Three streams over both partitions, sequences growing in list order as the relay sends them,
// and telemetry (no sequence: only the offset tells a redelivery) on a fourth key.
const events = deliveries(
  Array.from({ length: 15 }, (_, i) => (i < 12 ? { stream: `s${i % 3}` } : { stream: 'telemetry', telemetry: true })).map((e, i) => ({ ...e, topic: TOPIC, event: { type: 'Tallied', data: { i } } })),
);
const publish = (list: Delivery[]) => log.send(TOPIC, list.map((d) => toWire(d.envelope, d.key, d.sequence)));

async function run(definition: ProjectionDefinition, options: ProjectionRunnerOptions = {}): Promise<ProjectionRunner> {
  const runner = new ProjectionRunner(db, log, definition, { version: 1, followActive: false, logger: quiet, retry: { initialBackoffMs: 1, maxBackoffMs: 5 }, ...options });
  runners.push(runner);
  await runner.start();
  await runner.waitUntilCaughtUp(10_000);
  return runner;
}
async function rows(table: string) {
  return (await sql.query(`SELECT stream, events, ids FROM ${table} ORDER BY stream`)).rows;
}
const expected = ['s0', 's1', 's2', 'telemetry'].map((stream) => {
  const mine = events.filter((d) => d.envelope.streamId === stream).map((d) => d.envelope.eventId);
  return { stream, events: String(mine.length), ids: mine };
});

describe('ProjectionRunner on the in-process log and PGlite', () => {
  it('applies every event once when a new group re-reads the log and the relay re-sends', async () => {
    const definition = tally('redelivered');
    await publish(events);
    const first = await run(definition);
    expect(first.stats()).toMatchObject({ applied: 15, duplicates: 0 });
    await first.stop();
    await publish(events.slice(3, 9)); // a relay that crashed before saving its checkpoint
    // Another group has no committed offsets, but the checkpoints say where to read: only the
    // re-sends (new offsets, old sequences) come, and are dropped.
    const second = await run(definition, { groupId: () => 'a-group-without-offsets' });
    expect(second.stats()).toMatchObject({ applied: 0, duplicates: 6 });
    await second.stop();
    // A log that reads from the group's offsets: everything comes again from offset 0, and is dropped.
    const consume = log.consume.bind(log);
    log.consume = async (options: ConsumeOptions) => consume({ ...options, startAt: undefined });
    await publish(events.slice(0, 3)); // re-sent once more, on both partitions: caught up means all of it came
    const third = await run(definition, { groupId: () => 'another-group-without-offsets' });
    expect(third.stats()).toMatchObject({ applied: 0, duplicates: 24 });
    expect(await rows('redelivered_tally')).toEqual(expected);
  });

  it.each([
    ['reads each assigned partition from its checkpoint', false],
    ['reads a partition again from its checkpoint when a batch starts past it (the start offsets came too late)', true],
  ])("a database behind the group's offsets (restored from a backup): %s", async (_, late) => {
    const definition = tally(late ? 'restored_late' : 'restored');
    await publish(events.slice(0, 6));
    const first = await run(definition);
    await publish(events.slice(6));
    await first.waitUntilCaughtUp(10_000);
    await first.stop();
    // A database as it was before anything was applied; the group's offsets are at the end.
    await sql.query(`DELETE FROM ${definition.name}_tally_v1; DELETE FROM sf_checkpoints WHERE consumer = '${definition.name}@v1'`);
    const consume = log.consume.bind(log);
    // A Kafka member may fetch before its start offsets arrive: here they never do.
    if (late) log.consume = async (options: ConsumeOptions) => consume({ ...options, startAt: undefined });
    // The relay re-sends the first event of each stream, so both partitions get a batch.
    await publish(events.slice(0, 3));
    const warnings: string[] = [];
    const second = await run(definition, { logger: { ...quiet, warn: (m: string) => void warnings.push(m) } });
    expect(second.stats()).toMatchObject({ applied: 15, duplicates: 3 });
    expect(await rows(`${definition.name}_tally`)).toEqual(expected);
    const seeks = warnings.filter((w) => /^restored_late@v1 tallied\/\d: delivered from offset \d+ \(read from \d+\) but its checkpoint is at 0 .*; reading again from 0$/.test(w));
    expect(seeks.length).toBe(late ? 2 : 0);
  });

  it('reads quiet partitions again from checkpoints that went back under it (a crash undid unflushed commits), at its next check', async () => {
    const definition = tally('undone');
    await publish(events.slice(0, 6));
    const warnings: string[] = [];
    const runner = await run(definition, { watchdogIntervalMs: 100, logger: { ...quiet, warn: (m: string) => void warnings.push(m) } });
    await publish(events.slice(6));
    await runner.waitUntilCaughtUp(10_000);
    // Nothing applied and no checkpoint left, as if every commit was undone; no new event comes.
    await sql.query(`DELETE FROM undone_tally_v1; DELETE FROM sf_checkpoints WHERE consumer = 'undone@v1'`);
    await runner.waitUntilCaughtUp(10_000);
    expect(await rows('undone_tally')).toEqual(expected);
    expect(runner.stats()).toMatchObject({ applied: 30 });
    expect(warnings).toEqual([expect.stringMatching(/^undone@v1: checkpoints behind what this runner committed on tallied\/0 at 0 \(committed \d+\), tallied\/1 at 0 \(committed \d+\)/)]);
  });

  it('applies a batch whose commit crashed once, when the log redelivers it', async () => {
    const runner = await run(tally('crashed'));
    db.crashBeforeCommit(2); // the first two batches' transactions: their effects roll back
    await publish(events);
    await runner.waitUntilCaughtUp(10_000);
    expect(db.crashes()).toBe(2);
    expect(runner.stats()).toMatchObject({ applied: 15 });
    expect(await rows('crashed_tally')).toEqual(expected);
  });

  it('reports the offsets it committed per partition, and wakes a waiter at its next commit', async () => {
    const runner = await run(tally('committed'));
    expect([...runner.committedOffsets()]).toEqual([]);
    const woken = runner.nextCommit(60_000).then(() => 'woken by a commit');
    await publish(events);
    // The first batch's commit wakes it, not its 60 s timeout.
    expect(await Promise.race([woken, new Promise((r) => setTimeout(() => r('still waiting after 3 s'), 3_000))])).toBe('woken by a commit');
    await runner.waitUntilCaughtUp(10_000);
    const ends = await log.offsets(TOPIC);
    expect(new Map(runner.committedOffsets())).toEqual(new Map(ends.filter((p) => p.high > 0).map((p) => [`${TOPIC}:${p.partition}`, p.high])));
    // No commit comes: the wait ends at its timeout.
    await runner.nextCommit(20);
  });

  it('swaps a rebuilt version in only once it has caught up, and readers then see the same rows', async () => {
    const definition = tally('swapped');
    await publish(events.slice(0, 6));
    const live = await run(definition);
    const refused = await swapVersion(db, definition, 1, 2, 50);
    expect(refused).toEqual({ swapped: false, reason: expect.stringMatching(/^v2 is at 0 on tallied\/\d, v1 at \d+$/) });
    await publish(events.slice(6));
    await live.waitUntilCaughtUp(10_000);
    await run(definition, { version: 2 });
    expect(await swapVersion(db, definition, 1, 2, 50)).toEqual({ swapped: true });
    expect((await sql.query(`SELECT active_version FROM sf_projections WHERE name = 'swapped'`)).rows).toEqual([{ active_version: 2 }]);
    expect(await rows('swapped_tally')).toEqual(expected); // the reader view, now on v2
    expect(await rows('swapped_tally_v1')).toEqual(expected);
  });

  it("gathers a definition's window at the log when the log can, and in the runner when it cannot or the window is too long", async () => {
    const asked: ConsumeOptions[] = [];
    const consume = log.consume.bind(log);
    log.consume = async (options: ConsumeOptions) => {
      asked.push(options);
      return consume(options);
    };
    await publish(events);
    Object.defineProperty(log, 'gathersFetches', { value: true, configurable: true });
    // The longest window the broker holds (5 s): caught up within 4 s only if the runner holds nothing for it.
    const atLog = new ProjectionRunner(db, log, { ...tally('gathered_at_log'), gatherMs: 5_000 }, { version: 1, followActive: false, logger: quiet });
    runners.push(atLog);
    await atLog.start();
    await atLog.waitUntilCaughtUp(4_000);
    expect(asked[0].fetchGather).toEqual({ waitMs: 5_000, bytes: 4 * 1024 * 1024 });
    expect(await rows('gathered_at_log_tally')).toEqual(expected);
    // A longer window would hold a fetch past kafkajs' heartbeats: the runner holds it, as before.
    await run({ ...tally('gathered_long'), gatherMs: 5_001 });
    expect(asked[1].fetchGather).toBeUndefined();
    // The in-process log cannot hold a fetch: the runner's own window gathers.
    Object.defineProperty(log, 'gathersFetches', { value: false, configurable: true });
    const windowed = await run({ ...tally('gathered_in_runner'), gatherMs: 300 });
    expect(asked[2].fetchGather).toBeUndefined();
    expect(windowed.stats()).toMatchObject({ applied: 15 });
  }, 30_000);

  it('replaces a consumer the client stopped for good, and the new one applies what it missed', async () => {
    const definition = tally('replaced');
    // The first member dies as kafkajs' does after an error it does not retry: it stops fetching,
    // keeps its last assignment and reports the error; later members are healthy.
    const members: ConsumerHandle[] = [];
    const consume = log.consume.bind(log);
    log.consume = async (options: ConsumeOptions) => {
      const handle = await consume(options);
      if (members.push(handle) > 1) return handle;
      await handle.stop();
      return { ...handle, stop: async () => undefined, failure: () => new Error('The coordinator is not aware of this member') };
    };
    const warnings: string[] = [];
    const runner = new ProjectionRunner(db, log, definition, {
      version: 1,
      followActive: false,
      watchdogIntervalMs: 20,
      logger: { ...quiet, warn: (m: string) => void warnings.push(m) },
    });
    runners.push(runner);
    await runner.start();
    await publish(events);
    await runner.waitUntilCaughtUp(10_000);
    expect(members.length).toBe(2);
    expect(warnings[0]).toMatch(/replaced@v1: the consumer stopped \(The coordinator is not aware of this member\); starting a new one/);
    expect(await rows('replaced_tally')).toEqual(expected);
  });

  it("commits a read model's batches without waiting for the WAL flush unless told to, and a processor's always waiting", async () => {
    // Each batch records the transaction's synchronous_commit, as the runner set it at BEGIN
    // (in a plain table: no reader view is needed).
    const recording = (name: string, kind: ProjectionDefinition['kind']): ProjectionDefinition => ({
      name,
      kind,
      topics: [TOPIC],
      tables: [],
      async setup(ctx) {
        await ctx.sql.query(`CREATE TABLE IF NOT EXISTS ${name}_flush (setting text NOT NULL)`);
      },
      async apply(_batch, ctx) {
        await ctx.sql.query(`INSERT INTO ${name}_flush SELECT current_setting('synchronous_commit')`);
      },
    });
    await publish(events);
    const settings = async (name: string) => [...new Set((await sql.query(`SELECT setting FROM ${name}_flush`)).rows.map((r) => r.setting))];
    await run(recording('unflushed', 'projection'));
    await run(recording('flushed', 'projection'), { synchronousCommit: true });
    await run(recording('processed', 'processor'));
    expect(await settings('unflushed')).toEqual(['off']);
    expect(await settings('flushed')).toEqual(['on']);
    expect(await settings('processed')).toEqual(['on']);
  });
});
