import { Client } from 'pg';
import { startTestApp, TestApp } from '../app-harness';

const ROUNDS = 8;

// Idempotent commands over HTTP, as payment APIs do them: a retry with the same Idempotency-Key
// gets the first request's result, even when both are in flight at once; the same key with other
// content is a 422 that writes nothing.
describe('Idempotency-Key on POST /social/posts and /comments', () => {
  let app: TestApp;
  let sql: Client;
  beforeAll(async () => {
    app = await startTestApp('idem');
    sql = new Client({ connectionString: app.db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await app?.close();
  });

  const post = (user: string, key: string, text: string) =>
    app.request('POST', '/social/posts', { user, body: { text }, headers: { 'idempotency-key': key } });
  const comment = (user: string, postId: string, key: string, text: string) =>
    app.request('POST', `/social/posts/${postId}/comments`, { user, body: { text }, headers: { 'idempotency-key': key } });
  /**
   * What the store holds of the commands under test: the system of record, not a read model that
   * might lag (processors append events of their own, not counted here).
   */
  const stored = async () => {
    const { rows } = await sql.query(`SELECT type, count(*)::int AS n FROM sf_events WHERE type IN ('social.PostCreated', 'social.CommentAdded') GROUP BY type`);
    const commands = await sql.query(`SELECT count(*)::int AS n FROM sf_commands`);
    return { ...Object.fromEntries(rows.map((r) => [r.type, r.n])), commands: commands.rows[0].n };
  };

  it('creates one post for two concurrent requests with one key, and both get its postId', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = await Promise.all([post('alice', `same-${round}`, `hello ${round}`), post('alice', `same-${round}`, `hello ${round}`)]);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.body).toEqual(a.body);
      expect(a.body.postId).toEqual(expect.any(String));
    }
    expect(await stored()).toEqual({ 'social.PostCreated': ROUNDS, commands: ROUNDS });
    // A retry long after the first answer gets it too; the key is the user's own, not global.
    const first = await post('alice', 'same-0', 'hello 0');
    const other = await post('bob', 'same-0', 'hello 0');
    expect(first.status).toBe(201);
    expect(other.status).toBe(201);
    expect(other.body.postId).not.toBe(first.body.postId);
    await app.settle();
    expect((await app.request('GET', `/social/posts/${first.body.postId}`)).body).toMatchObject({ postId: first.body.postId, text: 'hello 0' });
  });

  it('refuses the same key with another body (422, saying so) and changes nothing, also when both race', async () => {
    const original = await post('carol', 'k-1', 'original');
    expect(original.status).toBe(201);
    const before = await stored();
    const reused = await post('carol', 'k-1', 'something else');
    expect(reused).toEqual({
      status: 422,
      body: { statusCode: 422, error: 'idempotency_key_reused', message: expect.stringMatching(/already used for a request with different content/) },
    });
    expect(await stored()).toEqual(before);
    expect(await post('carol', 'k-1', 'original')).toEqual(original);

    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all([post('carol', `race-${round}`, 'one'), post('carol', `race-${round}`, 'two')]);
      expect(answers.map((r) => r.status).sort()).toEqual([201, 422]);
    }
    expect(await stored()).toEqual({ ...before, 'social.PostCreated': before['social.PostCreated'] + ROUNDS, commands: before.commands + ROUNDS });
  });

  it('applies the same rules to comments', async () => {
    const postId = (await post('dave', 'p', 'a post to comment on')).body.postId as string;
    const otherPostId = (await post('dave', 'p2', 'another post')).body.postId as string;
    const before = await stored();
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = await Promise.all([comment('erin', postId, `c-${round}`, 'nice'), comment('erin', postId, `c-${round}`, 'nice')]);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.body).toEqual(a.body);
    }
    expect(await stored()).toEqual({ ...before, 'social.CommentAdded': ROUNDS, commands: before.commands + ROUNDS });

    const changed = await comment('erin', postId, 'c-0', 'not so nice');
    const elsewhere = await comment('erin', otherPostId, 'c-0', 'nice');
    expect([changed.status, changed.body.error, elsewhere.status, elsewhere.body.error]).toEqual([422, 'idempotency_key_reused', 422, 'idempotency_key_reused']);
    expect(await stored()).toEqual({ ...before, 'social.CommentAdded': ROUNDS, commands: before.commands + ROUNDS });

    await app.settle();
    expect((await app.request('GET', `/social/posts/${postId}`)).body).toMatchObject({ postId, comments: ROUNDS });
  });
});
