import { DomainEvent } from '@streamfold/core';
import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';
import { ProjectionDefinition, rebuildProjection } from '@streamfold/projections';
import { likeStreamId } from '../../apps/social/src/domain/like.decider';
import { commentStreamId } from '../../apps/social/src/domain/comment.decider';
import { SocialEventType as T } from '../../apps/social/src/domain/social.events';
import { postCountsProjection } from '../../apps/social/src/read-models/post-counts.projection';
import { trendingProjection } from '../../apps/social/src/read-models/trending.projection';
import { startTestApp, TestApp } from '../app-harness';

const MIN = 60_000;

describe('MySocialMedia trending by event time, and rebuilds', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp('trend')));
  afterAll(async () => app?.close());

  const createPost = async (user: string) => (await app.request('POST', '/social/posts', { user, body: { text: 'p' } })).body.postId as string;
  const likeAt = (postId: string, userId: string, at: number) =>
    app.store.append(likeStreamId(postId, userId), [{ type: T.PostLiked, data: { postId, userId } } as DomainEvent], {
      expectedVersion: 'any',
      metadata: { occurredAt: new Date(at), actor: userId },
    });
  const commentAt = (postId: string, userId: string, at: number, commentId: string) =>
    app.store.append(commentStreamId(commentId), [{ type: T.CommentAdded, data: { postId, commentId, authorId: userId, text: 'c' } } as DomainEvent], {
      expectedVersion: 'no_stream',
      metadata: { occurredAt: new Date(at), actor: userId },
    });

  it('ranks the past hour by event time: score = likes + 2 × comments, ties to the latest activity, late events within 10 minutes only', async () => {
    const [a, b, c, d] = [await createPost('u-a'), await createPost('u-b'), await createPost('u-c'), await createPost('u-d')];
    const now = Date.now();
    // In event-time order per partition, so only D's deliberately late events are late.
    for (let i = 0; i < 10; i++) await likeAt(c, `fan-${i}`, now - 120 * MIN); // outside the hour
    await likeAt(b, 'fan-1', now - 50 * MIN);
    for (let i = 0; i < 3; i++) await likeAt(a, `fan-${i}`, now - 10 * MIN);
    await commentAt(b, 'fan-2', now - 5 * MIN, '00000000-0000-4000-8000-000000000001');
    await likeAt(d, 'fan-1', now - 1 * MIN);
    await likeAt(d, 'fan-2', now - 8 * MIN); // 7 min behind the watermark: within the lateness bound, counted
    await likeAt(d, 'fan-3', now - 25 * MIN); // 24 min behind: too late, not counted
    await app.settle();

    const trending = (await app.request('GET', '/social/trending?limit=100')).body as Array<{ postId: string; score: number; likes: number }>;
    const mine = trending.filter((p) => [a, b, c, d].includes(p.postId));
    expect(mine.map((p) => [p.postId, p.score])).toEqual([
      [b, 3], // 1 like + 2 × 1 comment, latest activity 5 min ago
      [a, 3], // 3 likes, latest activity 10 min ago
      [d, 2], // 1 on time + 1 late within bound
    ]);
    expect(mine.find((p) => p.postId === d)!.likes).toBe(3); // totals still count every like
    const late = await app.server.infra.database.query('SELECT COALESCE(SUM(late), 0)::int AS n FROM social_trending_marks');
    expect(late.rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('rebuilding counts and trending from the log gives exactly what live processing built', async () => {
    const posts = await Promise.all(Array.from({ length: 5 }, (_, i) => createPost(`author-${i}`)));
    await Promise.all(
      posts.flatMap((postId, i) => Array.from({ length: 10 + i }, (_, u) => app.request('PUT', `/social/posts/${postId}/like`, { user: `u${u}` }))),
    );
    await app.request('DELETE', `/social/posts/${posts[0]}/like`, { user: 'u1' });
    await app.request('POST', `/social/posts/${posts[1]}/comments`, { user: 'u3', body: { text: 'x' } });
    await app.request('DELETE', `/social/posts/${posts[4]}`, { user: 'author-4' });
    await app.settle();

    const db = app.server.infra.database;
    const log = app.server.app.get<MessageLog>(MESSAGE_LOG);
    const dump = async (table: string) => (await db.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;
    for (const definition of [postCountsProjection, trendingProjection] as ProjectionDefinition[]) {
      const live = await Promise.all(definition.tables.map((t) => dump(`${t}_v1`)));
      const result = await rebuildProjection({ db, log, definition, from: 'kafka', graceMs: 500, logger: { log() {}, warn() {}, error() {} } });
      expect(result.version).toBe(2);
      await app.settle();
      const rebuilt = await Promise.all(definition.tables.map((t) => dump(`${t}_v2`)));
      expect(rebuilt).toEqual(live);
      expect(live[0].length).toBeGreaterThan(0);
      // Readers now see version 2 through the views.
      expect(await Promise.all(definition.tables.map((t) => dump(t)))).toEqual(live);
    }
  });
});

describe('MySocialMedia derived topics', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp('derived')));
  afterAll(async () => app?.close());

  it('emits posts_with_counts and trending_posts that agree with the read models', async () => {
    const postId = (await app.request('POST', '/social/posts', { user: 'author', body: { text: 'derived' } })).body.postId;
    await Promise.all(Array.from({ length: 25 }, (_, i) => app.request('PUT', `/social/posts/${postId}/like`, { user: `u${i}` })));
    await app.request('DELETE', `/social/posts/${postId}/like`, { user: 'u0' });
    await app.request('POST', `/social/posts/${postId}/comments`, { user: 'u1', body: { text: 'hi' } });
    await app.settle();
    await app.settle(); // processor output is itself relayed: a second round publishes it

    const log = app.server.app.get<MessageLog>(MESSAGE_LOG);
    const latest = async (topic: string) => {
      const seen = new Map<string, any>();
      const ends = await log.offsets(topic);
      const total = ends.reduce((n, p) => n + p.high, 0);
      let count = 0;
      const consumer = await log.consume({
        groupId: `reader-${topic}-${Date.now()}`,
        topics: [topic],
        eachBatch: async (batch) => {
          for (const m of batch.messages) seen.set(m.key!, JSON.parse(m.value.toString()).data);
          count += batch.messages.length;
        },
      });
      const deadline = Date.now() + 20000;
      while (count < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await consumer.stop();
      return seen;
    };
    const counts = (await latest('posts_with_counts')).get(postId);
    expect(counts).toEqual({ postId, likes: 24, comments: 1, deleted: false });
    const post = (await app.request('GET', `/social/posts/${postId}`)).body;
    expect([post.likes, post.comments]).toEqual([24, 1]);
    const trending = (await latest('trending_posts')).get(postId);
    expect(trending).toMatchObject({ postId, score: 24 + 2 });
    const ranked = (await app.request('GET', '/social/trending?limit=10')).body.find((p: any) => p.postId === postId);
    expect(ranked.score).toBe(trending.score);
  });
});
