import { startTestApp, TestApp } from '../app-harness';

/** MySocialMedia end to end: HTTP → event store → relay → Kafka → projections → HTTP, on real parts. */
describe('MySocialMedia on real Kafka and PostgreSQL', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp('social')));
  afterAll(async () => app?.close());

  const createPost = async (user: string, text = 'launch!') => {
    const res = await app.request('POST', '/social/posts', { user, body: { text } });
    expect(res.status).toBe(201);
    return res.body.postId as string;
  };

  it('counts 200 concurrent likers exactly once each, including repeats and unlikes', async () => {
    const postId = await createPost('author-1');
    const users = Array.from({ length: 200 }, (_, i) => `fan-${i}`);
    const likes = [...users, ...users.slice(0, 50)].map((u) => app.request('PUT', `/social/posts/${postId}/like`, { user: u }));
    expect((await Promise.all(likes)).map((r) => r.status)).toEqual(Array(250).fill(204));
    const unlikes = users.slice(100, 120).map((u) => app.request('DELETE', `/social/posts/${postId}/like`, { user: u }));
    expect((await Promise.all(unlikes)).map((r) => r.status)).toEqual(Array(20).fill(204));

    const commenters = users.slice(0, 40);
    const added = await Promise.all(commenters.map((u) => app.request('POST', `/social/posts/${postId}/comments`, { user: u, body: { text: `hi from ${u}` } })));
    expect(added.every((r) => r.status === 201)).toBe(true);
    const removed = await Promise.all(
      added.slice(0, 15).map((r, i) => app.request('DELETE', `/social/posts/${postId}/comments/${r.body.commentId}`, { user: commenters[i] })),
    );
    expect(removed.map((r) => r.status)).toEqual(Array(15).fill(204));

    await app.settle();
    const post = await app.request('GET', `/social/posts/${postId}`);
    expect(post.body).toMatchObject({ postId, authorId: 'author-1', likes: 180, comments: 25 });
    const feed = await app.request('GET', '/social/feed?limit=10');
    expect(feed.body).toContainEqual({ postId, likes: 180, comments: 25 });
  });

  it('removes a deleted post from the post endpoint, the feed and trending', async () => {
    const postId = await createPost('author-2', 'soon gone');
    await app.request('PUT', `/social/posts/${postId}/like`, { user: 'fan-1' });
    await app.settle();
    expect((await app.request('GET', '/social/trending?limit=100')).body.map((p: any) => p.postId)).toContain(postId);

    expect((await app.request('DELETE', `/social/posts/${postId}`, { user: 'author-2' })).status).toBe(204);
    expect((await app.request('PUT', `/social/posts/${postId}/like`, { user: 'fan-2' })).status).toBe(422);
    await app.settle();
    expect((await app.request('GET', `/social/posts/${postId}`)).status).toBe(404);
    expect((await app.request('GET', '/social/feed?limit=100')).body.map((p: any) => p.postId)).not.toContain(postId);
    expect((await app.request('GET', '/social/trending?limit=100')).body.map((p: any) => p.postId)).not.toContain(postId);
  });

  it('pushes a like to the live stream of its post within a second on an idle system', async () => {
    const postId = await createPost('author-3');
    await app.settle();
    const controller = new AbortController();
    const res = await fetch(`${app.url}/social/posts/${postId}/live`, { signal: controller.signal });
    const reader = res.body!.getReader();
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
    expect((await app.request('PUT', `/social/posts/${postId}/like`, { user: 'fan-9' })).status).toBe(204);
    const counts = await nextCounts();
    const latency = Date.now() - liked;
    controller.abort();
    console.log(`live like latency: ${latency} ms`);
    expect(counts).toEqual({ postId, likes: 1, comments: 0 });
    expect(latency).toBeLessThan(1000);
  });

  it('refuses other users and bad input with 4xx naming the problem, changing nothing', async () => {
    const postId = await createPost('owner');
    const comment = await app.request('POST', `/social/posts/${postId}/comments`, { user: 'owner', body: { text: 'mine' } });
    await app.settle();
    const before = await snapshot(app, postId);

    const attempts = [
      [await app.request('DELETE', `/social/posts/${postId}`, { user: 'intruder' }), 403, /only the author/],
      [await app.request('DELETE', `/social/posts/${postId}/comments/${comment.body.commentId}`, { user: 'intruder' }), 403, /only the author/],
      [await app.request('POST', '/social/posts', { user: 'owner', body: { text: 42 } }), 400, /text must be a string/],
      [await app.request('POST', '/social/posts', { user: 'owner', body: {} }), 400, /text must be a string/],
      [await app.request('POST', '/social/posts', { user: 'owner', body: { text: 'x', extra: 1 } }), 400, /property extra should not exist/],
      [await app.request('POST', '/social/posts', { user: 'owner', body: { text: '   ' } }), 400, /text: must not be empty/],
      [await app.request('POST', '/social/posts', { user: 'owner', body: { text: 'x'.repeat(2001) } }), 400, /text: must be at most 2000/],
      [await app.request('POST', '/social/posts', { user: 'owner', raw: '{"text":' }), 400, /JSON/],
      [await app.request('POST', `/social/posts/${postId}/comments`, { user: 'owner', body: { text: ['a'] } }), 400, /text must be a string/],
      [await app.request('PUT', '/social/posts/not-a-uuid/like', { user: 'owner' }), 400, /postId must be a UUID/],
      [await app.request('GET', '/social/feed?limit=0'), 400, /limit must not be less than 1/],
      [await app.request('POST', '/social/posts', { body: { text: 'anonymous' } }), 401, /missing bearer token/],
    ] as const;
    for (const [res, status, message] of attempts) {
      expect(res.status).toBe(status);
      expect(JSON.stringify(res.body)).toMatch(message);
    }
    await app.settle();
    expect(await snapshot(app, postId)).toEqual(before);
  });
});

async function snapshot(app: TestApp, postId: string) {
  const events = await app.server.infra.database.query('SELECT count(*)::int AS n FROM sf_events');
  return {
    events: events.rows[0].n,
    post: (await app.request('GET', `/social/posts/${postId}`)).body,
    feed: (await app.request('GET', '/social/feed?limit=100')).body,
  };
}
