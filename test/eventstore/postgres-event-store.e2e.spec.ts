import { compareSequence, ConcurrencyConflict, EventRegistry, InvalidEventPayload } from '@streamfold/core';
import { executeCommand, PostgresEventStore, StreamOrderConflict } from '@streamfold/eventstore';
import { Database, migrateUp } from '@streamfold/runtime';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS } from '@streamfold/runtime';
import { createTestDatabase, eventually, TestDatabase } from '../e2e-env';

/** A migrated database of its own for the enclosing block, a pool of `poolSize` and a store on it, dropped afterwards. */
function ownStore(label: string, poolSize: number, use: (db: Database, store: PostgresEventStore) => void): void {
  let testDb: TestDatabase | undefined;
  let db: Database | undefined;
  beforeAll(async () => {
    testDb = await createTestDatabase(label);
    await migrateUp(testDb.url, MIGRATIONS);
    db = new Database(testDb.url, poolSize, false);
    use(db, new PostgresEventStore(db));
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });
}

describe('PostgresEventStore on real PostgreSQL', () => {
  let db: Database;
  let store: PostgresEventStore;
  ownStore('sf_es', 25, (d, s) => ([db, store] = [d, s]));

  /**
   * The gap-safe reader shows nothing above the oldest transaction still open anywhere on the
   * server (another test's, a backend not yet reaped): wait until it shows the last commit.
   */
  const untilVisible = () =>
    eventually(async () => {
      const [head, last] = await Promise.all([store.head(), store.lastCommitted()]);
      return head && last && compareSequence(head, last) >= 0 ? true : undefined;
    }, 30_000, 'the global log to show the last committed event');

  const batch = (writer: number, size = 3) => Array.from({ length: size }, (_, i) => ({ type: 'test.Written', data: { writer, i } }));

  it('lets exactly one of 20 concurrent appends at the same expected version win, whole batch or nothing', async () => {
    await store.append('race-1', batch(-1, 2), { expectedVersion: 'no_stream' });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, w) => store.append('race-1', batch(w), { expectedVersion: 2 })));
    const won = results.filter((r): r is PromiseFulfilledResult<any> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(ConcurrencyConflict);
      expect(r.reason.message).toBe('stream race-1 is at version 5, expected 2; reload and retry');
    }
    const winner = (won[0].value.envelopes[0].data as { writer: number }).writer;
    const { version, events } = await store.readStream('race-1');
    expect(version).toBe(5);
    expect(events.map((e) => [e.streamPosition, e.data])).toEqual([
      [1, { writer: -1, i: 0 }],
      [2, { writer: -1, i: 1 }],
      [3, { writer: winner, i: 0 }],
      [4, { writer: winner, i: 1 }],
      [5, { writer: winner, i: 2 }],
    ]);
    const rows = await db.query(`SELECT count(*)::int AS n FROM sf_events WHERE stream_id = 'race-1'`);
    expect(rows.rows[0].n).toBe(5);
  });

  it('lets exactly one of 20 concurrent creators of a new stream win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, w) => store.append('race-new', batch(w, 4), { expectedVersion: w % 2 ? 'no_stream' : 0 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConcurrencyConflict)).toHaveLength(19);
    const { events } = await store.readStream('race-new');
    expect(events).toHaveLength(4);
    expect(new Set(events.map((e) => (e.data as { writer: number }).writer)).size).toBe(1);
  });

  it('appends once for 10 concurrent appends with one command id; the others get its result as duplicates', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, w) => store.append('cmd-stream', batch(w, 2), { expectedVersion: 'any', commandId: 'cmd-42', commandResult: { writer: w } })),
    );
    const first = results.filter((r) => !r.duplicate);
    expect(first).toHaveLength(1);
    for (const dup of results.filter((r) => r.duplicate)) {
      expect(dup).toEqual({ ...first[0], duplicate: true });
    }
    expect((await store.readStream('cmd-stream')).version).toBe(2);
    expect(await store.lookupCommand('cmd-42')).toEqual({ ...first[0], duplicate: true });
    expect(await store.lookupCommand('cmd-unknown')).toBeNull();
  });

  it('joins the caller transaction: a conflict rolls back only its savepoint, a rollback removes everything', async () => {
    await db.transaction(async (sql) => {
      await store.append('tx-a', batch(1, 1), { expectedVersion: 'no_stream', sql });
      await expect(store.append('tx-a', batch(2, 1), { expectedVersion: 'no_stream', sql, commandId: 'in-tx' })).rejects.toBeInstanceOf(ConcurrencyConflict);
      await store.append('tx-a', batch(3, 1), { expectedVersion: 1, sql });
    });
    expect((await store.readStream('tx-a')).events.map((e) => (e.data as { writer: number }).writer)).toEqual([1, 3]);
    expect(await store.lookupCommand('in-tx')).toBeNull();

    await expect(
      db.transaction(async (sql) => {
        await store.append('tx-b', batch(1), { expectedVersion: 'no_stream', sql, commandId: 'rolled-back' });
        throw new Error('the caller fails after appending');
      }),
    ).rejects.toThrow('the caller fails');
    expect(await store.readStream('tx-b')).toEqual({ version: 0, events: [] });
    expect(await store.lookupCommand('rolled-back')).toBeNull();
  });

  it('validates with the registry before writing and upcasts old schema versions on read', async () => {
    const v1 = new EventRegistry().register({ type: 'test.Renamed' }, { type: 'test.Counted', validate: (d: any) => (Number.isInteger(d?.n) ? [] : ['n must be an integer']) });
    const v2 = new EventRegistry().register(
      { type: 'test.Renamed', schemaVersion: 2, upcasters: { 1: (d: any) => ({ name: d.title }) } },
      { type: 'test.Counted' },
    );
    const oldStore = new PostgresEventStore(db, v1);
    await expect(oldStore.append('reg', [{ type: 'test.Counted', data: { n: 1 } }, { type: 'test.Counted', data: { n: 1.5 } }], { expectedVersion: 'any' })).rejects.toThrow(
      InvalidEventPayload,
    );
    expect((await oldStore.readStream('reg')).version).toBe(0);
    await oldStore.append('reg', [{ type: 'test.Renamed', data: { title: 'before' } }], { expectedVersion: 'no_stream' });
    const newStore = new PostgresEventStore(db, v2);
    await newStore.append('reg', [{ type: 'test.Renamed', data: { name: 'after' } }], { expectedVersion: 1 });
    const { events } = await newStore.readStream('reg');
    expect(events.map((e) => [e.schemaVersion, e.data])).toEqual([
      [2, { name: 'before' }],
      [2, { name: 'after' }],
    ]);
    const stored = await db.query(`SELECT schema_version, data FROM sf_events WHERE stream_id = 'reg' ORDER BY stream_position`);
    expect(stored.rows).toEqual([
      { schema_version: 1, data: { title: 'before' } },
      { schema_version: 2, data: { name: 'after' } },
    ]);
  });

  it('stores metadata and returns the same envelopes from append, readStream and readAll', async () => {
    const occurredAt = new Date('2025-11-25T09:30:00.123Z');
    const appended = await store.append('meta', batch(7, 2), { expectedVersion: 'any', metadata: { occurredAt, actor: 'alice', correlationId: 'corr', causationId: 'cause' } });
    expect(appended.envelopes[0]).toMatchObject({ actor: 'alice', correlationId: 'corr', causationId: 'cause', occurredAt: occurredAt.toISOString(), streamPosition: 1 });
    expect(Number(appended.envelopes[1].globalPosition)).toBe(Number(appended.envelopes[0].globalPosition) + 1);
    expect((await store.readStream('meta')).events).toEqual(appended.envelopes);
    await untilVisible();
    const all = [];
    for await (const e of store.readAllFrom(null, { pageSize: 4 })) all.push(e);
    const mine = all.filter((e) => e.streamId === 'meta');
    expect(mine.map(({ sequence: _s, ...e }) => e)).toEqual(appended.envelopes);
    expect(mine[0].sequence.txId).toBe(mine[1].sequence.txId);
    expect(await store.head()).toEqual(all[all.length - 1].sequence);
    expect(await store.countAfter(mine[0].sequence)).toBe(all.length - all.indexOf(mine[0]) - 1);
  });

  it('orders by number, not text, past position 99 (streams and the global log)', async () => {
    for (let i = 0; i < 12; i++) await store.append('long', batch(i, 10), { expectedVersion: i * 10 });
    const { version, events } = await store.readStream('long');
    expect(version).toBe(120);
    expect(events.map((e) => e.streamPosition)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    await untilVisible();
    const all = await store.readAll(null, 10000);
    for (let i = 1; i < all.length; i++) expect(compareSequence(all[i - 1].sequence, all[i].sequence)).toBe(-1);
    expect(Number(all[all.length - 1].sequence.position)).toBeGreaterThan(100);
    expect(await store.head()).toEqual(all[all.length - 1].sequence);
  });

  it('runs executeCommand against PostgreSQL with conflicts surfacing as ConcurrencyConflict', async () => {
    const counter = {
      initialState: () => 0,
      decide: (cmd: { by: number }, state: number) => [{ type: 'test.Counted', data: { n: state + cmd.by } }],
      evolve: (_: number, e: { type: string; data: { n: number } }) => e.data.n,
    };
    const run = (maxRetries: number) => executeCommand({ store, decider: counter, streamId: 'counter', command: { by: 1 }, context: { actor: 'bob' }, maxRetries });
    const settled = await Promise.allSettled(Array.from({ length: 8 }, () => run(0)));
    const ok = settled.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(settled.filter((r) => r.status === 'rejected' && r.reason instanceof ConcurrencyConflict)).toHaveLength(8 - ok);
    await Promise.all(Array.from({ length: 8 }, () => run(20)));
    const { events } = await store.readStream('counter');
    // Every retry re-decided on the fresh state, so the counter never repeats a value.
    expect(events.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: ok + 8 }, (_, i) => i + 1));
  });

  it('refuses an append from a transaction older than the stream\'s last writer, so stream order equals relay order', async () => {
    await store.append('ordered', batch(0, 1), { expectedVersion: 'no_stream' });
    const older = await db.pool.connect();
    try {
      await older.query('BEGIN');
      const { rows } = await older.query(`SELECT pg_current_xact_id()::text AS xid`); // id taken before the newer writer's
      await store.append('ordered', batch(1, 1), { expectedVersion: 'any' }); // a newer transaction writes position 2
      const refused = store.append('ordered', batch(2, 1), { expectedVersion: 'any', sql: older });
      await expect(refused).rejects.toBeInstanceOf(StreamOrderConflict);
      await expect(refused).rejects.toMatchObject({ code: '40001' });
      await older.query('ROLLBACK');
      expect(rows[0].xid).toMatch(/^\d+$/);
    } finally {
      older.release();
    }
    // Retried in a new transaction (a higher id), the append goes through after position 2.
    await store.append('ordered', batch(2, 1), { expectedVersion: 'any' });
    const { events } = await store.readStream('ordered');
    expect(events.map((e) => (e.data as { writer: number }).writer)).toEqual([0, 1, 2]);
    await untilVisible();
    const all = await store.readAll(null, 10_000);
    const mine = all.filter((e) => e.streamId === 'ordered');
    for (let i = 1; i < mine.length; i++) expect(compareSequence(mine[i - 1].sequence, mine[i].sequence)).toBe(-1);
    expect(mine.map((e) => e.streamPosition)).toEqual([1, 2, 3]);
  });
  it('appends to many streams in one statement (a processor\'s batch output): positions per stream, input order, metadata, writer order', async () => {
    await store.append('many-a', batch(0, 2), { expectedVersion: 'no_stream' });
    const at = new Date('2026-12-01T12:00:00.000Z');
    await db.transaction((sql) =>
      store.appendMany(
        [
          { streamId: 'many-a', events: batch(1, 2), metadata: { causationId: 'c-1', correlationId: 'r-1', actor: 'proc', occurredAt: at } },
          { streamId: 'many-b', events: batch(2, 1), metadata: { causationId: 'c-2', correlationId: 'r-2', actor: 'proc', occurredAt: at } },
          { streamId: 'many-a', events: batch(3, 1) },
        ],
        { sql },
      ),
    );
    const a = await store.readStream('many-a');
    expect(a.events.map((e) => [e.streamPosition, (e.data as { writer: number }).writer])).toEqual([[1, 0], [2, 0], [3, 1], [4, 1], [5, 3]]);
    expect(a.events[2]).toMatchObject({ causationId: 'c-1', correlationId: 'r-1', actor: 'proc', occurredAt: at.toISOString() });
    const b = await store.readStream('many-b');
    expect([b.version, b.events[0].streamPosition, b.events[0].actor]).toEqual([1, 1, 'proc']);
    // Global positions follow the input order, so relay order equals stream order.
    const { rows } = await db.query(`SELECT stream_id, stream_position::int AS p FROM sf_events WHERE stream_id IN ('many-a', 'many-b') AND stream_position > 0 ORDER BY global_position`);
    expect(rows.slice(2).map((r) => `${r.stream_id}:${r.p}`)).toEqual(['many-a:3', 'many-a:4', 'many-b:1', 'many-a:5']);

    // A transaction older than a stream's last writer is refused like a single append.
    const older = await db.pool.connect();
    try {
      await older.query('BEGIN');
      await older.query('SELECT pg_current_xact_id()');
      await store.append('many-b', batch(4, 1), { expectedVersion: 'any' });
      const refused = store.appendMany([{ streamId: 'many-c', events: batch(5, 1) }, { streamId: 'many-b', events: batch(5, 1) }], { sql: older });
      await expect(refused).rejects.toBeInstanceOf(StreamOrderConflict);
      await older.query('ROLLBACK');
    } finally {
      older.release();
    }
    expect((await store.readStream('many-c')).version).toBe(0);
  });

  it('commits concurrent appends of different streams together (group commit), each with its own version check and outcome', async () => {
    await store.append('group-old-1', batch(0, 2), { expectedVersion: 'no_stream' });
    await store.append('group-old-2', batch(0, 1), { expectedVersion: 'no_stream' });
    const at = new Date('2026-12-02T08:00:00.000Z');
    const before = (await db.query(`SELECT max(global_position)::text AS p FROM sf_events`)).rows[0].p;
    // Started in one turn: they gather into groups (the first may go alone, the rest wait for it).
    const calls = [
      ...Array.from({ length: 12 }, (_, i) => store.append(`group-new-${i}`, batch(i, 2), { expectedVersion: i % 2 ? 'no_stream' : 0, metadata: { actor: `a${i}`, occurredAt: at } })),
      store.append('group-old-1', batch(20, 3), { expectedVersion: 2 }),
      store.append('group-old-2', batch(21, 1), { expectedVersion: 'any' }),
      store.append('group-old-2', batch(22, 1), { expectedVersion: 'any' }), // same stream: the next group
      store.append('group-old-1', batch(23, 1), { expectedVersion: 7 }), // wrong version
      store.append('group-new-0', batch(24, 1), { expectedVersion: 'no_stream' }), // exists by then, or loses to its creator
      store.append('group-missing', batch(25, 1), { expectedVersion: 3 }), // an exact version needs the stream
    ];
    const settled = await Promise.allSettled(calls);
    const value = (i: number) => (settled[i] as PromiseFulfilledResult<{ nextVersion: number; envelopes: Array<{ streamPosition: number; actor: string | null }> }>).value;
    for (let i = 0; i < 12; i++) {
      expect(settled[i].status).toBe('fulfilled');
      expect(value(i).nextVersion).toBe(2);
      expect(value(i).envelopes.map((e) => [e.streamPosition, e.actor])).toEqual([[1, `a${i}`], [2, `a${i}`]]);
    }
    expect(value(12).envelopes.map((e) => e.streamPosition)).toEqual([3, 4, 5]);
    expect([value(13).nextVersion, value(14).nextVersion].sort()).toEqual([2, 3]);
    for (const i of [15, 16, 17]) {
      expect(settled[i].status).toBe('rejected');
      expect((settled[i] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyConflict);
    }
    expect((await store.readStream('group-old-1')).events.map((e) => (e.data as { writer: number }).writer)).toEqual([0, 0, 20, 20, 20]);
    expect((await store.readStream('group-new-0')).version).toBe(2);
    expect((await store.readStream('group-missing')).version).toBe(0);
    // Grouped means one transaction: most of these events share a transaction id.
    const { rows } = await db.query(`SELECT count(DISTINCT tx_id)::int AS txs, count(*)::int AS events FROM sf_events WHERE global_position > $1::bigint`, [before]);
    expect(rows[0].events).toBe(12 * 2 + 3 + 2);
    expect(rows[0].txs).toBeLessThanOrEqual(4);
  });
});

/**
 * A statement the store prepares (named) is planned once per session and may then run a cached
 * generic plan built when the table was tiny: a sequential scan of sf_events, which on a grown
 * store costs every read the whole table. Reads by stream must stay index lookups however small
 * the store was when the session first ran them.
 */
describe('PostgresEventStore reads by stream on a store that grew after the session started', () => {
  let db: Database;
  let store: PostgresEventStore;
  // One session: the one whose plans are cached.
  ownStore('sf_es_plan', 1, (d, s) => ([db, store] = [d, s]));

  const seqScans = async () => {
    // This session's counters reach the shared statistics at its next transaction end.
    await db.query(`SELECT pg_stat_force_next_flush()`);
    await db.query(`SELECT 1`);
    await db.query(`SELECT pg_stat_clear_snapshot()`);
    const { rows } = await db.query<{ n: string }>(`SELECT seq_scan::text AS n FROM pg_stat_user_tables WHERE relname = 'sf_events'`);
    return Number(rows[0].n);
  };
  const groupedReads = (ids: string[]) => Promise.all(ids.map((id) => store.readStream(id)));

  it('uses the stream index for single and grouped reads after the store grew from a few events', async () => {
    for (let i = 0; i < 3; i++) await store.append(`tiny-${i}`, [{ type: 'test.Written', data: { i } }], { expectedVersion: 'no_stream' });
    // Well past the five custom plans after which PostgreSQL may settle on a generic one.
    for (let round = 0; round < 10; round++) {
      await groupedReads(['tiny-0', 'tiny-1', 'tiny-2']);
      await store.readStream('tiny-0');
    }
    await db.query(
      `INSERT INTO sf_events (event_id, stream_id, stream_position, type, data, occurred_at)
       SELECT gen_random_uuid(), 'grown-' || (g / 10), g % 10 + 1, 'test.Written', '{}', now() FROM generate_series(0, 49999) AS g`,
    );
    const before = await seqScans();
    for (let round = 0; round < 5; round++) {
      const read = await groupedReads(['tiny-1', 'grown-7', 'missing']);
      expect(read.map((r) => r.version)).toEqual([1, 10, 0]);
      expect((await store.readStream('grown-8')).version).toBe(10);
    }
    expect(await seqScans()).toBe(before);
  });
});
