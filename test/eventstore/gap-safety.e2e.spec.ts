import { Client } from 'pg';
import { compareSequence, HEADER, LogSequence } from '@streamfold/core';
import { PostgresEventStore, PostgresRelayLeases, Relay, StoredEvent } from '@streamfold/eventstore';
import { EmbeddedMessageLog, LogMessage } from '@streamfold/messaging';
import { Database, migrateUp, NO_EVENTS_MARK, NO_EVENTS_REFUSED, TransactionOptions } from '@streamfold/runtime';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS } from '@streamfold/runtime';
import { createTestDatabase, eventually, TestDatabase } from '../e2e-env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ev = (label: string, n = 2) => Array.from({ length: n }, (_, i) => ({ type: 'test.Happened', data: { label, i } }));

/** A reader of the global log that checkpoints after every page, like the relay does. */
class TailingReader {
  readonly seen: StoredEvent[] = [];
  checkpoint: LogSequence | null = null;
  constructor(private readonly store: PostgresEventStore, private readonly pageSize: number) {}
  async poll(): Promise<number> {
    const page = await this.store.readAll(this.checkpoint, this.pageSize);
    for (const e of page) {
      if (this.checkpoint && compareSequence(e.sequence, this.checkpoint) !== 1) throw new Error(`backwards ${JSON.stringify(this.checkpoint)} -> ${JSON.stringify(e.sequence)} page ${JSON.stringify(page.map((p) => p.sequence))}`);
      this.checkpoint = e.sequence;
    }
    this.seen.push(...page);
    return page.length;
  }
  async drain(): Promise<void> {
    while ((await this.poll()) > 0);
  }
  /**
   * Reads until the last committed event (in relay order). Another session's open transaction
   * on the same server may hold the gap-safe horizon back for a while: wait for it, never skip.
   */
  async catchUp(): Promise<void> {
    const head = await this.store.lastCommitted();
    if (!head) return;
    await eventually(async () => {
      await this.drain();
      return this.checkpoint && compareSequence(this.checkpoint, head) >= 0 ? true : undefined;
    }, 20000, 'the reader to reach the last committed event');
  }
}

describe('gap-safe global log on real PostgreSQL', () => {
  let testDb: TestDatabase;
  let db: Database;
  let store: PostgresEventStore;
  const clients: Client[] = [];

  async function client(): Promise<Client> {
    const c = new Client({ connectionString: testDb.url });
    await c.connect();
    clients.push(c);
    return c;
  }
  async function tableIds(): Promise<string[]> {
    return (await db.query<{ id: string }>(`SELECT event_id::text AS id FROM sf_events ORDER BY 1`)).rows.map((r) => r.id);
  }

  beforeAll(async () => {
    testDb = await createTestDatabase('sf_gap');
    await migrateUp(testDb.url, MIGRATIONS);
    db = new Database(testDb.url, 20, false);
    store = new PostgresEventStore(db);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await db?.close();
    await testDb?.drop();
  });

  it('holds back later commits while an earlier position is in flight, then returns it exactly once', async () => {
    await store.append('before', ev('before'), { expectedVersion: 'any' });
    const reader = new TailingReader(store, 2);
    await reader.catchUp();
    expect(reader.seen).toHaveLength(2);

    const a = await client();
    const b = await client();
    await a.query('BEGIN');
    const appendedA = await store.append('stream-a', ev('A', 3), { expectedVersion: 'no_stream', sql: a });
    await b.query('BEGIN');
    const appendedB = await store.append('stream-b', ev('B'), { expectedVersion: 'no_stream', sql: b });
    await b.query('COMMIT');
    const appendedC = await store.append('stream-c', ev('C'), { expectedVersion: 'no_stream' });
    const posA = Math.max(...appendedA.envelopes.map((e) => Number(e.globalPosition)));
    expect(posA).toBeLessThan(Number(appendedB.envelopes[0].globalPosition));

    // The scenario bites: a position-only reader sees B and C, moves past A's positions, and never returns to them.
    const naive = await db.query<{ p: string }>(`SELECT max(global_position)::text AS p FROM sf_events`);
    expect(Number(naive.rows[0].p)).toBeGreaterThan(posA);

    await reader.drain();
    expect(reader.seen).toHaveLength(2);
    expect(await store.head()).toEqual(reader.checkpoint);

    await a.query('COMMIT');
    await eventually(async () => ((await reader.poll(), reader.seen.length === 2 + 3 + 2 + 2) ? true : undefined), 20000, 'A, B and C');
    await reader.drain();
    const labels = reader.seen.map((e) => (e.data as { label: string }).label);
    expect(labels).toEqual(['before', 'before', 'A', 'A', 'A', 'B', 'B', 'C', 'C']);
    const ids = reader.seen.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(await tableIds());
    expect(ids).toEqual(expect.arrayContaining([...appendedA.envelopes, ...appendedB.envelopes, ...appendedC.envelopes].map((e) => e.eventId)));
  });

  it('waits for open transactions of this database only: one in another database on the server does not hold the reader back', async () => {
    const other = await createTestDatabase('sf_gap_other');
    const next = new Client({ connectionString: other.url });
    await next.connect();
    const mine = await client();
    try {
      const reader = new TailingReader(store, 100);
      await reader.catchUp();
      // Another database's transaction with an xid, older than everything below.
      await next.query('BEGIN');
      await next.query('SELECT pg_current_xact_id()');
      const visible = await store.append('next-door', ev('visible'), { expectedVersion: 'no_stream' });
      // Bounded, not immediate: a short transaction of this database (autoanalyze) may still be ending.
      await eventually(async () => (await reader.drain(), reader.seen.some((e) => e.streamId === 'next-door') ? true : undefined), 20000, 'the append beside the other database\'s open transaction');
      expect(reader.seen.slice(-2).map((e) => e.eventId)).toEqual(visible.envelopes.map((e) => e.eventId));
      expect(await store.head()).toEqual(reader.checkpoint);
      // One of this database's, older than the next append: that one is held back until it ends.
      await mine.query('BEGIN');
      await mine.query('SELECT pg_current_xact_id()');
      const held = await store.append('held', ev('held'), { expectedVersion: 'no_stream' });
      await reader.drain();
      expect(reader.seen.some((e) => e.streamId === 'held')).toBe(false);
      await mine.query('COMMIT');
      await reader.drain();
      expect(reader.seen.slice(-2).map((e) => e.eventId)).toEqual(held.envelopes.map((e) => e.eventId));
    } finally {
      await next.query('ROLLBACK').catch(() => undefined);
      await next.end();
      await other.drop();
    }
  });

  it('a transaction that appends no events (a read model\'s) does not hold the reader back, and cannot append', async () => {
    await db.query(`CREATE TABLE IF NOT EXISTS gap_read_model (n int)`);
    /** A transaction that wrote a row (so it holds an xid) and stays open until released. */
    async function openWriter(options: TransactionOptions) {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let wrote!: () => void;
      const written = new Promise<void>((r) => (wrote = r));
      const done = db.transaction(async (sql) => {
        await sql.query(`INSERT INTO gap_read_model VALUES (1)`);
        wrote();
        await gate;
      }, options);
      await Promise.race([written, done]);
      return { release, done };
    }
    const reader = new TailingReader(store, 100);
    await reader.catchUp();

    // A read model's batch, open: an append committed meanwhile is read at once.
    const readModel = await openWriter({ appendsEvents: false });
    // Marked, and still named after its pool for whoever looks at the server's sessions.
    const names = (await db.query<{ name: string }>(`SELECT application_name AS name FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL`)).rows.map((r) => r.name);
    expect(names).toContain(`streamfold${NO_EVENTS_MARK}`);
    const passed = await store.append('past-read-model', ev('P'), { expectedVersion: 'no_stream' });
    await eventually(async () => (await reader.drain(), reader.seen.some((e) => e.streamId === 'past-read-model') ? true : undefined), 20000, 'the append beside the open read-model transaction');
    expect(reader.seen.slice(-2).map((e) => e.eventId)).toEqual(passed.envelopes.map((e) => e.eventId));
    readModel.release();
    await readModel.done;

    // The same transaction without the mark (a processor's, which appends what it emits) holds it back.
    const processor = await openWriter({});
    const behind = await store.append('behind-processor', ev('B', 1), { expectedVersion: 'no_stream' });
    await sleep(300);
    await reader.drain();
    expect(reader.seen.some((e) => e.streamId === 'behind-processor')).toBe(false);
    processor.release();
    await processor.done;
    await reader.catchUp();
    expect(reader.seen.slice(-1).map((e) => e.eventId)).toEqual(behind.envelopes.map((e) => e.eventId));

    // The runner's form (compactTransaction): the mark rides on BEGIN's round trip, and open()
    // still answers with its own statement's result.
    const opened = await db.compactTransaction(async (sql, ends) => {
      const first = await ends.open(`SELECT current_setting('application_name') AS name`);
      await ends.commit(`INSERT INTO gap_read_model VALUES (3)`);
      return first.rows[0].name as string;
    }, { appendsEvents: false });
    expect(opened).toBe(`streamfold${NO_EVENTS_MARK}`);

    // An append in a no-events transaction is refused, with what to do, and nothing is written.
    const refused = await db.transaction((sql) => store.append('from-read-model', ev('R', 1), { expectedVersion: 'any', sql }), { appendsEvents: false }).then(
      () => null,
      (error: Error & { code?: string }) => error,
    );
    expect(refused?.code).toBe(NO_EVENTS_REFUSED);
    expect(refused?.message).toMatch(/appends no events.*processor/);
    expect((await db.query(`SELECT count(*)::int AS n FROM sf_events WHERE stream_id = 'from-read-model'`)).rows[0].n).toBe(0);
  });

  it('a transaction that took its xid first but its position last is still read, in xid order', async () => {
    const reader = new TailingReader(store, 3);
    await reader.catchUp();
    const start = reader.seen.length;
    const early = await client();
    await early.query('BEGIN');
    await early.query(`SELECT pg_current_xact_id()`); // xid assigned now, position later
    await store.append('late-position', ev('X', 1), { expectedVersion: 'any' });
    const held = await store.append('early-xid', ev('E', 1), { expectedVersion: 'any', sql: early });
    await store.append('after', ev('Y', 1), { expectedVersion: 'any' });
    await reader.drain();
    expect(reader.seen.length).toBe(start);
    await early.query('COMMIT');
    await eventually(async () => ((await reader.poll(), reader.seen.length === start + 3) ? true : undefined), 20000, 'three events');
    expect(reader.seen.slice(start).map((e) => (e.data as { label: string }).label)).toEqual(['E', 'X', 'Y']);
    expect(reader.seen[start].eventId).toBe(held.envelopes[0].eventId);
  });

  // Without a linger, and with the host's (10 ms, longer than the poll here, so every round waits for it).
  it.each([
    [0, 'gap'],
    [10, 'gap-linger'],
  ])('under concurrent writers holding transactions open, a tailing reader and the relay (linger %i ms) each get every event exactly once', async (lingerMs, name) => {
    const reader = new TailingReader(store, 5);
    await reader.catchUp();
    const log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'all', partitions: 4 }]);
    const relay = new Relay({ name, store, log, route: (e) => ({ topic: 'all', key: e.streamId }), leases: new PostgresRelayLeases(db, { standbyPollMs: 20 }), batchSize: 7, pollIntervalMs: 5, lingerMs });
    relay.start();
    try {
      await concurrentWritersScenario(reader, relay, log, name);
    } finally {
      await relay.stop();
      await log.close();
    }
  });

  async function concurrentWritersScenario(reader: TailingReader, relay: Relay, log: EmbeddedMessageLog, name: string): Promise<void> {
    let writing = true;
    const tail = (async () => {
      while (writing) if ((await reader.poll()) === 0) await sleep(2);
    })();
    const writers = Array.from({ length: 8 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 25; i++) {
          await db.transaction(async (sql) => {
            await store.append(`w${w}-${i % 3}`, ev(`w${w}`, 1 + (i % 3)), { expectedVersion: 'any', sql });
            await sleep(Math.random() * 15); // keep positions taken but uncommitted while others commit
          });
        }
      })(),
    );
    await Promise.all(writers);
    writing = false;
    await tail;
    await eventually(async () => ((await reader.poll()) === 0 && (await store.head()) && compareSequence(reader.checkpoint!, (await store.head())!) === 0 ? true : undefined), 20000, 'reader caught up');

    const ids = reader.seen.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(await tableIds());

    await relay.waitUntilIdle(20000);
    await relay.stop();
    const published: LogMessage[] = [];
    const consumer = await log.consume({ groupId: 'check', topics: ['all'], eachBatch: async (batch) => void published.push(...batch.messages) });
    await eventually(async () => (published.length >= ids.length ? true : undefined), 10000, 'all published');
    await consumer.stop();
    const publishedIds = published.map((m) => m.headers[HEADER.eventId]);
    expect(publishedIds).toHaveLength(ids.length);
    expect([...publishedIds].sort()).toEqual(await tableIds());
    const checkpoint = await db.query(`SELECT tx_id::text AS "txId", position::text AS position FROM sf_relay_checkpoints WHERE name = $1`, [name]);
    expect(checkpoint.rows[0]).toEqual(await store.head());
  }
});
