import type { DomainEvent } from '@streamfold/core';
import type { AppendOptions, EventStore } from '@streamfold/eventstore';
import { projectionContext } from '@streamfold/projections';
import { Framework1764100000000, Sql } from '@streamfold/runtime';
import { deliveries, DeliveryInput, PgliteWorker, pgliteSql, projectionSpec, SimulatedRunner, startPglite } from '@streamfold/testing';
import type { QueryRunner } from 'typeorm';
import { MovieflixEventType as T, RecommendationsUpdated } from '../domain/movieflix.events';
import { NO_TASTE, observe, Taste } from '../domain/recommender/co-watch';
import { MemoryCounts } from '../domain/recommender/memory-counts';
import { recommenderProcessor } from './recommender.processor';

let db: PgliteWorker;
let sql: Sql;
beforeAll(async () => {
  db = await startPglite();
  sql = pgliteSql(db);
  await new Framework1764100000000().up({ query: (text: string) => sql.query(text) } as unknown as QueryRunner);
  await sql.query('CREATE TABLE test_outbox (stream_id text, type text, data jsonb, caused_by text)');
}, 30_000);
afterAll(() => db?.close());

/** Appends through the batch's transaction, as the Postgres store does with `sql`. */
const outbox: Pick<EventStore, 'append'> = {
  async append(streamId: string, events: DomainEvent[], options: AppendOptions) {
    for (const e of events) await options.sql!.query('INSERT INTO test_outbox VALUES ($1, $2, $3, $4)', [streamId, e.type, JSON.stringify(e.data), options.metadata?.causationId]);
    return { streamId, nextVersion: 0, envelopes: [], duplicate: false };
  },
};

const GENRES: Record<string, string[]> = { a: ['Comedy'], b: ['Comedy', 'Drama'], c: ['Drama'], d: ['Horror'], e: ['Comedy'] };
const finished = (userId: string, videoId: string, at: string): DeliveryInput => ({
  stream: `viewing-${userId}-${videoId}`,
  key: userId,
  topic: 'playback_events',
  at,
  event: { type: T.PlaybackFinished, data: { userId, videoId, title: `Film ${videoId}`, genres: GENRES[videoId], device: 'tv', positionSec: 5400, durationSec: 6000, watchedSec: 5400 } },
});
const history: Array<[string, string]> = [['u1', 'a'], ['u1', 'b'], ['u2', 'a'], ['u2', 'b'], ['u2', 'c'], ['u3', 'a'], ['u3', 'b'], ['u2', 'd'], ['u3', 'a'], ['u1', 'c']];
const feed = deliveries(history.map(([u, v], i) => finished(u, v, `10:${String(i).padStart(2, '0')}`)), { partitions: 2 });

describe('recommender processor on PostgreSQL', () => {
  it('holds exactly the counts the in-memory replay of `observe` builds (the code evaluate measures), however often events arrive', async () => {
    const counts = new MemoryCounts();
    const tastes = new Map<string, Taste>();
    // The processor folds per partition in offset order; so does this replay (per user, then all).
    for (const d of feed) {
      const { userId, videoId, genres } = d.envelope.data as { userId: string; videoId: string; genres: string[] };
      const { taste, delta } = observe(tastes.get(userId) ?? NO_TASTE, { itemId: videoId, at: Date.parse(d.envelope.occurredAt), genres });
      tastes.set(userId, taste);
      counts.apply(delta, genres);
    }
    const pairs = [...counts.pairRows()].sort((x, y) => (x[0] + x[1] < y[0] + y[1] ? -1 : 1)).map(([a, b, w]) => ({ a, b, w }));
    const items = [...counts.itemRows()].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([item_id, users]) => ({ item_id, users }));
    const spec = projectionSpec(recommenderProcessor({ eventStore: outbox }), { sql, batchSize: 4 }).given(feed);
    await spec.expectQuery('SELECT a, b, w FROM movieflix_rec_pairs ORDER BY a || b', pairs);
    await spec.expectQuery('SELECT item_id, users FROM movieflix_rec_items ORDER BY item_id', items);
  }, 60_000);

  it('emits a ranked, explained list per user the batch touched, excluding what the user finished, in the batch transaction', async () => {
    await sql.query('DELETE FROM test_outbox');
    await sql.query('DELETE FROM sf_processor_state');
    const definition = recommenderProcessor({ eventStore: outbox });
    const ctx = projectionContext(sql, 7);
    await definition.setup(ctx);
    const runner = new SimulatedRunner(definition, ctx);
    await runner.deliver(feed.slice(0, 6));
    await runner.deliver(feed.slice(6, 8), 'rollback');
    expect((await sql.query('SELECT count(*)::int AS n FROM test_outbox')).rows[0].n).toBe(3); // one list per user of the committed batch
    await runner.deliver(feed.slice(6, 9));
    const last = feed[9];
    await runner.deliver([last]);
    const { rows } = await sql.query<{ stream_id: string; data: RecommendationsUpdated['data']; caused_by: string }>(`SELECT * FROM test_outbox WHERE stream_id = 'recommendations-u1' ORDER BY ctid DESC LIMIT 1`);
    const { data, caused_by } = rows[0];
    expect(caused_by).toBe(last.envelope.eventId);
    const ids = data.items.map((i) => i.videoId);
    expect(ids).not.toContain('a');
    expect(ids).not.toContain('b');
    expect(ids).not.toContain('c');
    expect(ids[0]).toBe('d'); // the only unseen item anyone co-watched with u1's films
    expect(data.items[0].reason).toMatchObject({ kind: 'because-you-watched', title: expect.stringMatching(/^Film [abc]$/) });
  }, 30_000);
});
