import type { DomainEvent } from '@streamfold/core';
import type { Sql } from '@streamfold/runtime';
import { deliveries, DeliveryInput, PgliteWorker, pgliteSql, SimulatedRunner, startPglite } from '@streamfold/testing';
import { projectionContext } from '../runner/consumer-id';
import type { QueryRunner } from 'typeorm';
import type { AppendOptions, EventStore } from '@streamfold/eventstore';
import { Framework1764100000000 } from '@streamfold/runtime';
import { defineProcessor, Processor, processorNamespace } from './processor';
import { deleteProcessorState } from './processor-state';

// The real sf_processor_state (from the framework migration) on an in-process PostgreSQL.
let db: PgliteWorker;
let sql: Sql;
const statements: string[] = [];

beforeAll(async () => {
  db = await startPglite();
  const raw = pgliteSql(db);
  sql = { query: ((text: string, params?: unknown[]) => (statements.push(text), raw.query(text, params))) as Sql['query'] };
  await new Framework1764100000000().up({ query: (text: string) => raw.query(text) } as unknown as QueryRunner);
  await raw.query('CREATE TABLE test_outbox (stream_id text, type text, data jsonb, metadata jsonb)');
}, 30_000);
afterAll(() => db?.close());
beforeEach(async () => {
  await sql.query('DELETE FROM sf_processor_state');
  await sql.query('DELETE FROM test_outbox');
  statements.length = 0;
});

/** Appends through the transaction it is given, like the Postgres store does with `sql`. */
const outboxStore: Pick<EventStore, 'append'> = {
  async append(streamId: string, events: DomainEvent[], options: AppendOptions) {
    for (const e of events) await options.sql!.query('INSERT INTO test_outbox VALUES ($1, $2, $3, $4)', [streamId, e.type, JSON.stringify(e.data), JSON.stringify(options.metadata)]);
    return { streamId, nextVersion: 0, envelopes: [], duplicate: false };
  },
};

type Clicked = DomainEvent<'Clicked', { user: string }>;
/** Counts clicks per user; every second click emits ClicksCounted; "bot" clicks are ignored. */
const clicks: Processor<{ count: number }, DomainEvent<'ClicksCounted', { user: string; count: number }>> = {
  name: 'test.clicks',
  topics: ['clicks'],
  initialState: () => ({ count: 0 }),
  process(state, delivery) {
    const { user } = delivery.envelope.data as Clicked['data'];
    if (user === 'bot') return { state, ignored: 'bot traffic' };
    const count = state.count + 1;
    return { state: { count }, emit: count % 2 === 0 ? [{ streamId: `clicks-${user}`, type: 'ClicksCounted', data: { user, count } }] : [] };
  },
};

const click = (user: string, at: string): DeliveryInput => ({ stream: user, topic: 'clicks', at, event: { type: 'Clicked', data: { user } } });
const feed = deliveries([click('ann', '10:00'), click('bob', '10:01'), click('ann', '10:02'), click('bot', '10:03'), click('ann', '10:04'), click('ann', '10:05')]);

async function stateRows(): Promise<Array<{ processor: string; key: string; state: unknown }>> {
  return (await sql.query('SELECT processor, key, state FROM sf_processor_state ORDER BY processor, key')).rows;
}

describe('defineProcessor on PostgreSQL', () => {
  it('commits per-key state and emitted events in the batch transaction, with causation metadata', async () => {
    const runner = new SimulatedRunner(defineProcessor(clicks, { eventStore: outboxStore }), projectionContext(sql, 1));
    await runner.deliverAll(feed, 4);
    expect(await stateRows()).toEqual([
      { processor: 'test.clicks@v1', key: 'ann', state: { count: 4 } },
      { processor: 'test.clicks@v1', key: 'bob', state: { count: 1 } },
      { processor: 'test.clicks@v1', key: 'bot', state: { count: 0 } },
    ]);
    const { rows } = await sql.query('SELECT stream_id, type, data, metadata FROM test_outbox');
    expect(rows).toEqual([
      { stream_id: 'clicks-ann', type: 'ClicksCounted', data: { user: 'ann', count: 2 }, metadata: { causationId: 'evt-3', correlationId: 'evt-3', actor: 'test.clicks', occurredAt: '2025-01-01T10:02:00.000Z' } },
      { stream_id: 'clicks-ann', type: 'ClicksCounted', data: { user: 'ann', count: 4 }, metadata: { causationId: 'evt-6', correlationId: 'evt-6', actor: 'test.clicks', occurredAt: '2025-01-01T10:05:00.000Z' } },
    ]);
  });

  it('leaves neither state nor output behind when the batch rolls back', async () => {
    const runner = new SimulatedRunner(defineProcessor(clicks, { eventStore: outboxStore }), projectionContext(sql, 1));
    await runner.deliver(feed.slice(0, 3), 'rollback');
    expect(await stateRows()).toEqual([]);
    expect((await sql.query('SELECT count(*)::int AS n FROM test_outbox')).rows).toEqual([{ n: 0 }]);
  });

  it('loads and saves the state of a whole batch in three statements, whatever its size', async () => {
    const many = deliveries(Array.from({ length: 60 }, (_, i) => click(`user-${i % 12}`, `10:${String(i).padStart(2, '0')}`)));
    await defineProcessor(clicks, { eventStore: { append: async () => ({ streamId: '', nextVersion: 0, envelopes: [], duplicate: false }) } }).apply(many, projectionContext(sql, 1));
    expect(statements.filter((s) => s.includes('sf_processor_state'))).toHaveLength(3);
    expect(await stateRows()).toHaveLength(12);
  });

  it('writes nothing when no state changed, and reports why deliveries were ignored', async () => {
    const ignored: string[] = [];
    const definition = defineProcessor(clicks, { eventStore: outboxStore, onIgnored: (d, reason) => ignored.push(`${d.envelope.eventId}: ${reason}`) });
    await definition.apply(deliveries([click('bot', '10:00')]), projectionContext(sql, 1));
    statements.length = 0;
    await definition.apply(deliveries([click('bot', '10:01')]), projectionContext(sql, 1));
    expect(statements.filter((s) => /^\s*INSERT INTO sf_processor_state \(processor, key, state, updated_at\)/.test(s))).toEqual([]);
    expect(ignored).toEqual(['evt-1: bot traffic', 'evt-1: bot traffic']);
  });

  it('namespaces state by version, so a rebuild starts clean beside the live state', async () => {
    const definition = defineProcessor(clicks, { eventStore: outboxStore });
    await definition.apply(feed.slice(0, 1), projectionContext(sql, 1));
    await definition.apply(feed.slice(0, 1), projectionContext(sql, 2));
    expect((await stateRows()).map((r) => [r.processor, r.state])).toEqual([
      ['test.clicks@v1', { count: 1 }],
      ['test.clicks@v2', { count: 1 }],
    ]);
    expect(await deleteProcessorState(sql, processorNamespace('test.clicks', 1))).toBe(1);
    expect((await stateRows()).map((r) => r.processor)).toEqual(['test.clicks@v2']);
  });

  it('refuses an emitted event without a stream', async () => {
    const broken = defineProcessor({ ...clicks, process: (state) => ({ state, emit: [{ streamId: '', type: 'ClicksCounted', data: { user: 'x', count: 0 } }] }) }, { eventStore: outboxStore });
    await expect(broken.apply(feed.slice(0, 1), projectionContext(sql, 1))).rejects.toThrow(/without a streamId/);
  });
});
