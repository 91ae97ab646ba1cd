import { lakeStatus, queryLake } from '@streamfold/sink';
import { startTestApp, TestApp } from '../app-harness';
import { eventually } from '../e2e-env';

/**
 * Speed and batch layers agree: for MySocialMedia, likes per post folded by the `post_counts`
 * read model (PostgreSQL, real time) equal the same rule run as SQL over the lake (Parquet written
 * by the host's `sink` role), once both caught up with the log. Then the admin's named query and
 * the ingestion endpoint, end to end through the generated client.
 */
describe('MySocialMedia: the lake agrees with the read model', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp('speedbatch', { sink: true })));
  afterAll(async () => app?.close());

  const post = (postId: string) => ({ params: { path: { postId } } });
  const admin = () => app.as('ops-1', { admin: true });

  /** Every hosted topic's files hold everything the log holds. */
  async function lakeCaughtUp(): Promise<void> {
    const log = app.server.infra.log;
    await eventually(async () => {
      const status = await lakeStatus(app.lakeDir, log, ['posts', 'likes', 'comments']);
      return status.every((s) => s.lag === 0) ? true : undefined;
    }, 60_000, 'the lake to catch up with every topic');
  }

  it('likes per post in the lake equal the post_counts read model after catch-up', async () => {
    const posts: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { data, response } = await app.api.POST('/social/posts', { body: { text: `post ${i}` }, ...app.as(`author-${i}`) });
      expect(response.status).toBe(201);
      posts.push(data!.postId);
    }
    // Uneven likes (post i gets 10 + 7i likers), repeats (idempotent, no event) and unlikes.
    const likes = posts.flatMap((postId, i) => Array.from({ length: 10 + 7 * i }, (_, u) => ({ postId, user: `fan-${u}` })));
    for (let at = 0; at < likes.length; at += 50) {
      const chunk = likes.slice(at, at + 50);
      const answers = await Promise.all(chunk.map(({ postId, user }) => app.api.PUT('/social/posts/{postId}/like', { ...post(postId), ...app.as(user) })));
      expect(answers.map((a) => a.response.status)).toEqual(chunk.map(() => 204));
    }
    await Promise.all(likes.slice(0, 20).map(({ postId, user }) => app.api.PUT('/social/posts/{postId}/like', { ...post(postId), ...app.as(user) })));
    const unlikes = await Promise.all(posts.map((postId) => app.api.DELETE('/social/posts/{postId}/like', { ...post(postId), ...app.as('fan-3') })));
    expect(unlikes.map((u) => u.response.status)).toEqual(posts.map(() => 204));

    await app.settle();
    await lakeCaughtUp();

    const speed = await app.server.infra.database.query<{ post_id: string; likes: number }>('SELECT post_id, likes FROM social_posts WHERE post_id = ANY($1) ORDER BY post_id', [posts]);
    const batch = await queryLake(
      `SELECT postId AS post_id, sum(CASE WHEN type = 'social.PostLiked' THEN 1 ELSE -1 END)::INTEGER AS likes
       FROM likes WHERE type IN ('social.PostLiked', 'social.PostUnliked') GROUP BY postId ORDER BY post_id`,
      { dir: app.lakeDir },
    );
    const expected = posts.map((postId, i) => ({ post_id: postId, likes: 10 + 7 * i - 1 })).sort((a, b) => a.post_id.localeCompare(b.post_id));
    expect(speed.rows).toEqual(expected);
    expect(batch.rows.filter((r) => posts.includes(r.post_id as string))).toEqual(speed.rows);

    // The same rule as the admin's named query over HTTP.
    const named = await app.api.POST('/admin/lake/queries/{name}', { params: { path: { name: 'likes_per_post' } }, body: { min_likes: 0 }, ...admin() });
    expect(named.response.status).toBe(200);
    const byPost = new Map(named.data!.rows.map((r) => [r.post_id, r.likes]));
    expect(speed.rows.map((r) => byPost.get(r.post_id))).toEqual(speed.rows.map((r) => r.likes));
  });

  it('serves named lake queries to admins only, with the one error shape', async () => {
    const listed = await app.api.GET('/admin/lake/queries', admin());
    expect(listed.data).toContainEqual(expect.objectContaining({ name: 'likes_per_post', params: { min_likes: 'integer' } }));
    expect((await app.api.GET('/admin/lake/queries', app.as('fan-1'))).response.status).toBe(403);
    const run = (name: string, body: Record<string, string | number | boolean>) => app.api.POST('/admin/lake/queries/{name}', { params: { path: { name } }, body, ...admin() });
    const unknown = await run('no_such_query', {});
    expect([unknown.response.status, unknown.error?.error]).toEqual([404, 'unknown_lake_query']);
    const invalid = await run('likes_per_post', { min_likes: 'many' });
    expect([invalid.response.status, invalid.error?.error]).toEqual([400, 'validation_failed']);
  });

  it('ingests a batch of post views into Kafka and the lake, and refuses bad or oversized ones', async () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ postId: `p-${i % 7}`, userId: `viewer-${i}` }));
    const ok = await app.api.POST('/ingest/{stream}', { params: { path: { stream: 'post_views' } }, body: { records }, ...app.as('device-1') });
    expect([ok.response.status, ok.data]).toEqual([202, { accepted: 100 }]);

    const bad = await app.request('POST', '/ingest/post_views', { user: 'device-1', body: [{ postId: 'p-1' }] });
    expect([bad.status, bad.body.error, bad.body.field]).toEqual([400, 'validation_failed', 'records[0]']);
    expect((await app.request('POST', '/ingest/nowhere', { user: 'device-1', body: records })).status).toBe(404);
    expect((await app.request('POST', '/ingest/post_views', { body: records })).status).toBe(401);
    const tooMany = Array.from({ length: 1001 }, () => records[0]);
    expect((await app.request('POST', '/ingest/post_views', { user: 'device-1', body: tooMany })).status).toBe(413);

    await eventually(async () => {
      const { rows } = await queryLake('SELECT count(*)::INTEGER AS n FROM post_views', { dir: app.lakeDir }).catch(() => ({ rows: [{ n: 0 }] }));
      return rows[0].n === 100 ? true : undefined;
    }, 30_000, 'the ingested views in the lake');
  });
});
