import { startTestApp, TestApp } from '../app-harness';

/**
 * MySocialMedia end to end: HTTP → event store → relay → Kafka → projections → HTTP, on real parts.
 * Every call goes through the generated client (@streamfold/client), as a client developer's would:
 * a route or body the OpenAPI document no longer describes fails to compile here.
 */
describe('MySocialMedia on real Kafka and PostgreSQL', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp('social')));
  afterAll(async () => app?.close());

  const post = (postId: string) => ({ params: { path: { postId } } });
  const createPost = async (user: string, text = 'launch!') => {
    const { data, response } = await app.api.POST('/social/posts', { body: { text }, ...app.as(user) });
    expect(response.status).toBe(201);
    return data!.postId;
  };
  const like = (postId: string, user: string) => app.api.PUT('/social/posts/{postId}/like', { ...post(postId), ...app.as(user) });
  const feed = async (limit: number) => (await app.api.GET('/social/feed', { params: { query: { limit } } })).data!;
  const trending = async () => (await app.api.GET('/social/trending', { params: { query: { limit: 100 } } })).data!;

  it('counts 200 concurrent likers exactly once each, including repeats and unlikes', async () => {
    const postId = await createPost('author-1');
    const users = Array.from({ length: 200 }, (_, i) => `fan-${i}`);
    const likes = [...users, ...users.slice(0, 50)].map((u) => like(postId, u));
    expect((await Promise.all(likes)).map((r) => r.response.status)).toEqual(Array(250).fill(204));
    const unlikes = users.slice(100, 120).map((u) => app.api.DELETE('/social/posts/{postId}/like', { ...post(postId), ...app.as(u) }));
    expect((await Promise.all(unlikes)).map((r) => r.response.status)).toEqual(Array(20).fill(204));

    const commenters = users.slice(0, 40);
    const added = await Promise.all(
      commenters.map((u) => app.api.POST('/social/posts/{postId}/comments', { ...post(postId), body: { text: `hi from ${u}` }, ...app.as(u) })),
    );
    expect(added.every((r) => r.response.status === 201)).toBe(true);
    const removed = await Promise.all(
      added.slice(0, 15).map((r, i) =>
        app.api.DELETE('/social/posts/{postId}/comments/{commentId}', { params: { path: { postId, commentId: r.data!.commentId } }, ...app.as(commenters[i]) }),
      ),
    );
    expect(removed.map((r) => r.response.status)).toEqual(Array(15).fill(204));

    await app.settle();
    expect((await app.api.GET('/social/posts/{postId}', post(postId))).data).toMatchObject({ postId, authorId: 'author-1', likes: 180, comments: 25 });
    expect(await feed(10)).toContainEqual({ postId, likes: 180, comments: 25 });
  });

  it('removes a deleted post from the post endpoint, the feed and trending', async () => {
    const postId = await createPost('author-2', 'soon gone');
    await like(postId, 'fan-1');
    await app.settle();
    expect((await trending()).map((p) => p.postId)).toContain(postId);

    expect((await app.api.DELETE('/social/posts/{postId}', { ...post(postId), ...app.as('author-2') })).response.status).toBe(204);
    const refused = await like(postId, 'fan-2');
    expect([refused.response.status, refused.error?.error]).toEqual([422, 'post_deleted']);
    await app.settle();
    const gone = await app.api.GET('/social/posts/{postId}', post(postId));
    expect([gone.response.status, gone.error?.error]).toEqual([404, 'not_found']);
    expect((await feed(100)).map((p) => p.postId)).not.toContain(postId);
    expect((await trending()).map((p) => p.postId)).not.toContain(postId);
  });

  it('pushes a like to the live stream of its post within a second on an idle system', async () => {
    const postId = await createPost('author-3');
    await app.settle();
    const controller = new AbortController();
    const { data: stream } = await app.api.GET('/social/posts/{postId}/live', { ...post(postId), parseAs: 'stream', signal: controller.signal });
    const reader = stream!.getReader();
    const seen: string[] = [];
    const decoder = new TextDecoder();
    const nextCounts = async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        seen.push(decoder.decode(value));
        const match = /data: (\{.*"likes":1.*\})/.exec(seen.join(''));
        if (match) return JSON.parse(match[1]);
      }
    };
    await new Promise((r) => setTimeout(r, 200)); // the stream has sent its initial counts
    const liked = Date.now();
    expect((await like(postId, 'fan-9')).response.status).toBe(204);
    const counts = await nextCounts();
    const latency = Date.now() - liked;
    controller.abort();
    console.log(`live like latency: ${latency} ms`);
    expect(counts).toEqual({ postId, likes: 1, comments: 0 });
    expect(latency).toBeLessThan(1000);
  });

  it('refuses other users and bad input with 4xx in the ApiError shape naming the problem, changing nothing', async () => {
    const postId = await createPost('owner');
    const comment = await app.api.POST('/social/posts/{postId}/comments', { ...post(postId), body: { text: 'mine' }, ...app.as('owner') });
    await app.settle();
    const before = await snapshot(app, postId);

    // Bodies the document forbids are cast: the compiler would (rightly) refuse them.
    const posting = (body: unknown, user?: string) => app.api.POST('/social/posts', { body: body as { text: string }, ...(user ? app.as(user) : {}) });
    const attempts = [
      [await app.api.DELETE('/social/posts/{postId}', { ...post(postId), ...app.as('intruder') }), 403, 'forbidden', undefined, /only the author/],
      [
        await app.api.DELETE('/social/posts/{postId}/comments/{commentId}', { params: { path: { postId, commentId: comment.data!.commentId } }, ...app.as('intruder') }),
        403, 'forbidden', undefined, /only the author/,
      ],
      [await posting({ text: 42 }, 'owner'), 400, 'validation_failed', 'text', /text must be a string/],
      [await posting({}, 'owner'), 400, 'validation_failed', 'text', /text must be a string/],
      [await posting({ text: 'x', extra: 1 }, 'owner'), 400, 'validation_failed', 'extra', /property extra should not exist/],
      [await posting({ text: '   ' }, 'owner'), 400, 'validation_failed', 'text', /text: must not be empty/],
      [await posting({ text: 'x'.repeat(2001) }, 'owner'), 400, 'validation_failed', 'text', /text: must be at most 2000/],
      [await app.api.POST('/social/posts', { body: { text: '' }, bodySerializer: () => '{"text":', ...app.as('owner') }), 400, 'bad_request', undefined, /JSON/],
      [await app.api.POST('/social/posts/{postId}/comments', { ...post(postId), body: { text: ['a'] as unknown as string }, ...app.as('owner') }), 400, 'validation_failed', 'text', /text must be a string/],
      [await like('not-a-uuid', 'owner'), 400, 'validation_failed', 'postId', /postId must be a UUID/],
      [await app.api.GET('/social/feed', { params: { query: { limit: 0 } } }), 400, 'validation_failed', 'limit', /limit must not be less than 1/],
      [await posting({ text: 'anonymous' }), 401, 'unauthorized', undefined, /missing bearer token/],
    ] as const;
    for (const [res, status, code, field, message] of attempts) {
      expect({ status: res.response.status, code: res.error?.error, field: res.error?.field }).toEqual({ status, code, field });
      expect(res.error?.message).toMatch(message);
    }
    await app.settle();
    expect(await snapshot(app, postId)).toEqual(before);
  });
});

async function snapshot(app: TestApp, postId: string) {
  const events = await app.server.infra.database.query('SELECT count(*)::int AS n FROM sf_events');
  return {
    events: events.rows[0].n,
    post: (await app.api.GET('/social/posts/{postId}', { params: { path: { postId } } })).data,
    feed: (await app.api.GET('/social/feed', { params: { query: { limit: 100 } } })).data,
  };
}
