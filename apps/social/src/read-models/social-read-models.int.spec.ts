import { Sql } from '@streamfold/runtime';
import { deliveries, DeliveryInput, pgliteSql, projectionSpec, startPglite } from '@streamfold/testing';
import type { PgliteWorker } from '@streamfold/testing';
import { SocialEventType as T } from '../domain/social.events';
import { postCountsProjection } from './post-counts.projection';
import { TRENDING_QUERY, trendingProjection } from './trending.projection';

let db: PgliteWorker;
let sql: Sql;
beforeAll(async () => {
  db = await startPglite();
  sql = pgliteSql(db);
}, 30_000);
afterAll(() => db?.close());

const at = (iso: string) => iso;
const created = (postId: string, when = '12:00'): DeliveryInput => ({
  stream: `post-${postId}`,
  topic: 'posts',
  key: 'alice',
  at: when,
  event: { type: T.PostCreated, data: { postId, authorId: 'alice', text: `post ${postId}` } },
});
const liked = (postId: string, userId: string, when: string): DeliveryInput => ({
  stream: `like-${postId}-${userId}`,
  topic: 'likes',
  key: postId,
  at: when,
  event: { type: T.PostLiked, data: { postId, userId } },
});
const unliked = (postId: string, userId: string, when: string): DeliveryInput => ({
  stream: `like-${postId}-${userId}`,
  topic: 'likes',
  key: postId,
  at: when,
  event: { type: T.PostUnliked, data: { postId, userId } },
});
const commented = (postId: string, commentId: string, when: string): DeliveryInput => ({
  stream: `comment-${commentId}`,
  topic: 'comments',
  key: postId,
  at: when,
  event: { type: T.CommentAdded, data: { postId, commentId, authorId: 'bob', text: 'hi' } },
});

describe('MySocialMedia read models (each delivered once, then twice with a crash in between)', () => {
  it('counts likes and comments per post, a like arriving before its post included', async () => {
    const feed = deliveries([
      liked('p1', 'u1', at('12:01')), // before PostCreated: another topic, no common order
      created('p1'),
      created('p2'),
      liked('p1', 'u2', at('12:02')),
      unliked('p1', 'u1', at('12:03')),
      commented('p2', 'c1', at('12:04')),
      liked('p2', 'u1', at('12:05')),
    ]);
    await projectionSpec(postCountsProjection, { sql })
      .given(feed)
      .expectQuery('SELECT post_id, author_id, likes, comments FROM social_posts ORDER BY post_id', [
        { post_id: 'p1', author_id: 'alice', likes: 1, comments: 0 },
        { post_id: 'p2', author_id: 'alice', likes: 1, comments: 1 },
      ]);
  });

  it('ranks trending by likes + 2 × comments per minute bucket of event time', async () => {
    const feed = deliveries([created('p1'), created('p2'), liked('p1', 'u1', '12:01'), liked('p1', 'u2', '12:02'), commented('p2', 'c1', '12:03')], {
      startAt: '2025-01-01T12:00:00Z',
    });
    const spec = projectionSpec(trendingProjection, { sql }).given(feed);
    await spec.expectQuery('SELECT post_id, SUM(likes)::int AS likes, SUM(comments)::int AS comments FROM social_trending GROUP BY post_id ORDER BY post_id', [
      { post_id: 'p1', likes: 2, comments: 0 },
      { post_id: 'p2', likes: 0, comments: 1 },
    ]);
    // The ranking query itself needs social_posts too; its formula is covered end to end.
    expect(TRENDING_QUERY).toMatch(/ORDER BY score DESC, last_bucket DESC, t.post_id ASC/);
  });

  it('keeps a watermark per partition when one apply carries several partitions (applyScope transaction)', async () => {
    expect(trendingProjection.applyScope).toBe('transaction');
    const table = (name: string) => `${name}_v9`;
    const ctx = { sql, version: 9, table };
    await trendingProjection.setup(ctx);
    const feed = deliveries(
      [
        { ...liked('p3', 'u1', '13:30'), partition: 0 },
        { ...liked('p3', 'u2', '13:00'), partition: 1 }, // 30 min behind partition 0, but partition 1's own first: counted
        { ...liked('p3', 'u3', '13:05'), partition: 0 }, // 25 min behind its partition's watermark: late
      ],
      { startAt: '2025-01-01T12:00:00Z', partitions: 2 },
    );
    await trendingProjection.apply(feed as never, ctx);
    const counted = await sql.query(`SELECT SUM(likes)::int AS likes FROM social_trending_v9`);
    expect(counted.rows[0].likes).toBe(2);
    const marks = await sql.query(`SELECT partition, to_char(watermark AT TIME ZONE 'UTC', 'HH24:MI') AS at, late::int FROM social_trending_marks_v9 ORDER BY partition`);
    expect(marks.rows).toEqual([
      { partition: 0, at: '13:30', late: 1 },
      { partition: 1, at: '13:00', late: 0 },
    ]);
  });
});
