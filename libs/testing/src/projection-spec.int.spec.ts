import type { Sql } from '@streamfold/runtime';
import type { Delivery, ProjectionContext, ProjectionDefinition } from '@streamfold/projections';
import { deliveries, DeliveryInput } from './deliveries';
import { PgliteWorker, startPglite } from './pglite-worker';
import { pgliteSql } from './pglite-sql';
import { projectionSpec } from './projection-spec';

let db: PgliteWorker;
let sql: Sql;
beforeAll(async () => {
  db = await startPglite();
  sql = pgliteSql(db);
}, 30_000);
afterAll(() => db?.close());

const postOf = (d: Delivery) => (d.envelope.data as { postId: string }).postId;

/** Likes per post, the way a projection should be written: every effect through ctx.sql. */
function likeCounts(apply?: ProjectionDefinition['apply']): ProjectionDefinition {
  return {
    name: 'test.like_counts',
    kind: 'projection',
    topics: ['posts', 'likes'],
    tables: ['like_counts'],
    handles: ['PostCreated', 'PostLiked'],
    async setup(ctx: ProjectionContext) {
      await ctx.sql.query(`CREATE TABLE IF NOT EXISTS ${ctx.table('like_counts')} (post_id text PRIMARY KEY, likes bigint NOT NULL DEFAULT 0, last_liked_at timestamptz)`);
    },
    apply:
      apply ??
      (async (batch, ctx) => {
        for (const d of batch) {
          if (d.envelope.type === 'PostCreated') await ctx.sql.query(`INSERT INTO ${ctx.table('like_counts')} (post_id) VALUES ($1) ON CONFLICT DO NOTHING`, [postOf(d)]);
          else await ctx.sql.query(`UPDATE ${ctx.table('like_counts')} SET likes = likes + 1, last_liked_at = $2 WHERE post_id = $1`, [postOf(d), d.envelope.occurredAt]);
        }
      }),
  };
}

const created = (postId: string): DeliveryInput => ({ stream: `post-${postId}`, topic: 'posts', event: { type: 'PostCreated', data: { postId } } });
const liked = (postId: string, at: string): DeliveryInput => ({ stream: `post-${postId}`, topic: 'likes', at, event: { type: 'PostLiked', data: { postId } } });
const feed = () => deliveries([created('p1'), created('p2'), liked('p1', '12:01'), liked('p1', '12:02'), { stream: 'x', event: { type: 'Ignored', data: {} } }, liked('p2', '12:03'), liked('p1', '12:04')]);
const query = 'SELECT post_id, likes, last_liked_at FROM like_counts ORDER BY post_id';
const expected = [
  { post_id: 'p1', likes: '3', last_liked_at: new Date('2025-01-01T12:04:00Z') },
  { post_id: 'p2', likes: '1', last_liked_at: new Date('2025-01-01T12:03:00Z') },
];

describe('projectionSpec', () => {
  it('passes a correct projection in both the plain and the at-least-once run', async () => {
    await projectionSpec(likeCounts(), { sql }).given(feed()).expectQuery(query, expected);
  });

  it('fails on a wrong expectation', async () => {
    const wrong = [{ ...expected[0], likes: '4' }, expected[1]];
    await expect(projectionSpec(likeCounts(), { sql }).given(feed()).expectQuery(query, wrong)).rejects.toThrow(/query after each delivery was applied once/);
  });

  it('catches a projection that keeps effects outside the transaction', async () => {
    const counts = new Map<string, number>(); // survives the rolled-back batch: not exactly-once
    const leaky = likeCounts(async (batch, ctx) => {
      for (const d of batch) {
        if (d.envelope.type === 'PostCreated') await ctx.sql.query(`INSERT INTO ${ctx.table('like_counts')} (post_id) VALUES ($1)`, [postOf(d)]);
        else {
          counts.set(postOf(d), (counts.get(postOf(d)) ?? 0) + 1);
          await ctx.sql.query(`UPDATE ${ctx.table('like_counts')} SET likes = $2, last_liked_at = $3 WHERE post_id = $1`, [postOf(d), counts.get(postOf(d)), d.envelope.occurredAt]);
        }
      }
    });
    // Each run starts from empty memory, so only the rolled-back batch can make the runs differ.
    const setup = leaky.setup;
    leaky.setup = async (ctx) => (counts.clear(), setup(ctx));
    await expect(projectionSpec(leaky, { sql }).given(feed()).expectQuery(query, expected)).rejects.toThrow(/arrived at least twice.*the read model changed/);
  });

  it('catches a projection whose result depends on batch boundaries', async () => {
    // Bug: counts each post once per batch instead of once per like.
    const perBatch = likeCounts(async (batch, ctx) => {
      for (const d of batch.filter((x) => x.envelope.type === 'PostCreated')) await ctx.sql.query(`INSERT INTO ${ctx.table('like_counts')} (post_id) VALUES ($1)`, [postOf(d)]);
      const likes = batch.filter((x) => x.envelope.type === 'PostLiked');
      for (const postId of new Set(likes.map(postOf))) {
        const last = likes.filter((x) => postOf(x) === postId).at(-1)!;
        await ctx.sql.query(`UPDATE ${ctx.table('like_counts')} SET likes = likes + 1, last_liked_at = $2 WHERE post_id = $1`, [postId, last.envelope.occurredAt]);
      }
    });
    // The plain run's batches: [p1 created, p2 created] [p1, p1 liked] [other topic] [p2, p1 liked].
    const firstRun = [{ ...expected[0], likes: '2' }, expected[1]];
    await expect(projectionSpec(perBatch, { sql }).given(feed()).expectQuery(query, firstRun)).rejects.toThrow(/arrived at least twice/);
  });

  it('reports a failing batch with where it was', async () => {
    const failing = likeCounts(async () => {
      throw new Error('boom');
    });
    await expect(projectionSpec(failing, { sql }).given(feed()).expectQuery(query, [])).rejects.toThrow('[delivered once: posts/0 from offset 0] boom');
  });
});

describe('pgliteSql', () => {
  it('answers like pg: int8 as text, rowCount of writes, multi-statement DDL, SQLSTATE on errors', async () => {
    await sql.query('CREATE TABLE kit_t (id int8 PRIMARY KEY, amount numeric(12, 2)); CREATE INDEX kit_t_amount ON kit_t (amount)');
    expect((await sql.query('INSERT INTO kit_t VALUES ($1, $2), ($3, $4)', ['9007199254740993', '10.50', 2, '1'])).rowCount).toBe(2);
    expect((await sql.query('UPDATE kit_t SET amount = amount + 1 WHERE id > $1', [0])).rowCount).toBe(2);
    expect((await sql.query('SELECT id, amount FROM kit_t ORDER BY id')).rows).toEqual([
      { id: '2', amount: '2.00' },
      { id: '9007199254740993', amount: '11.50' },
    ]);
    const { rows } = await sql.query("SELECT now() AS at, '\\x0102'::bytea AS bytes, '{\"a\": [1]}'::jsonb AS doc");
    expect(rows[0].at).toBeInstanceOf(Date);
    expect(rows[0]).toStrictEqual({ at: rows[0].at, bytes: Buffer.from([1, 2]), doc: { a: [1] } });
    await expect(sql.query('INSERT INTO kit_t VALUES ($1, $2)', [2, '0'])).rejects.toMatchObject({ code: '23505' });
  });
});
