import { deliveries } from '@streamfold/testing';
import { Client } from 'pg';
import { SocialEventType as T } from '../../apps/social/src/domain/social.events';
import { POST_COUNTS_CHANNEL, postCountsProjection } from '../../apps/social/src/read-models/post-counts.projection';
import { createTestDatabase, eventually, TestDatabase } from '../e2e-env';

/**
 * The post counts projection NOTIFYs the new counts in the statement that writes them: every
 * changed post once, in payloads PostgreSQL accepts (under 8000 bytes), only after the commit.
 */
describe('post counts NOTIFY on real PostgreSQL', () => {
  let testDb: TestDatabase;
  let writer: Client;
  let listener: Client;
  const heard: string[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase('sf_notify');
    writer = new Client({ connectionString: testDb.url });
    listener = new Client({ connectionString: testDb.url });
    await Promise.all([writer.connect(), listener.connect()]);
    listener.on('notification', (n) => n.channel === POST_COUNTS_CHANNEL && heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${POST_COUNTS_CHANNEL}`);
  });
  afterAll(async () => {
    await Promise.all([writer?.end(), listener?.end()]);
    await testDb?.drop();
  });

  it('sends the counts of 400 posts changed in one batch in chunks under 8000 bytes, after the commit', async () => {
    const ctx = { sql: writer, version: 1, table: (name: string) => `${name}_v1` };
    await postCountsProjection.setup(ctx);
    const posts = Array.from({ length: 400 }, (_, i) => `post-${String(i).padStart(4, '0')}-${'x'.repeat(i % 40)}`);
    const feed = deliveries(
      posts.flatMap((postId, i) => Array.from({ length: 1 + (i % 3) }, (_, u) => ({ stream: `like-${postId}-${u}`, topic: 'likes', key: postId, event: { type: T.PostLiked, data: { postId, userId: `u${u}` } } }))),
    );
    await writer.query('BEGIN');
    await postCountsProjection.apply(feed as never, ctx);
    await new Promise((r) => setTimeout(r, 200));
    expect(heard).toEqual([]); // not before the commit
    await writer.query('COMMIT');
    await eventually(async () => (heard.flatMap((p) => JSON.parse(p)).length >= posts.length ? true : undefined), 10_000, 'every post notified');
    expect(heard.length).toBeGreaterThan(1);
    for (const payload of heard) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    const items = heard.flatMap((p) => JSON.parse(p) as Array<[string, number, number, boolean, number]>);
    expect(items.map(([postId]) => postId).sort()).toEqual([...posts].sort());
    for (const [postId, likes, comments, deleted, appliedAt] of items) {
      expect([likes, comments, deleted]).toEqual([1 + (posts.indexOf(postId) % 3), 0, false]);
      expect(appliedAt).toBeGreaterThan(Date.now() - 60_000);
    }
  });
});
