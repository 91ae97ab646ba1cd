import { defineProjection } from '@streamfold/projections';
import { evolveCounts, NO_COUNTS, PostCounts } from '../domain/post-counts';
import { SocialEvent, SocialEventType as T } from '../domain/social.events';
import { SocialTopic } from '../social.topics';

export const POST_COUNTS_CHANNEL = 'social_post_counts';

/** What one batch changes of one post's row: counts as deltas, the rest as values. */
interface Change {
  authorId: string | null;
  text: string | null;
  createdAt: string | null;
  deletedAt: string | null;
  counts: PostCounts;
  lastActivityAt: string;
}

/**
 * Likes and comments per post, and the feed. One upsert per batch folds every change of the
 * batch; the runner commits it with the checkpoint, so each event counts exactly once.
 * Events of one post arrive on three topics in no common order: a like may land before its
 * PostCreated, so rows are upserted and the feed shows only rows with an author.
 */
export const postCountsProjection = defineProjection<SocialEvent>({
  name: 'social.post_counts',
  topics: [SocialTopic.posts, SocialTopic.likes, SocialTopic.comments],
  tables: ['social_posts'],
  handles: Object.values(T),
  // Deltas per post and COALESCE/GREATEST for the rest: no rule depends on the partition.
  applyScope: 'transaction',

  async setup({ sql, table }) {
    const t = table('social_posts');
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${t} (
        post_id           text PRIMARY KEY,
        author_id         text,
        text              text,
        likes             integer NOT NULL DEFAULT 0,
        comments          integer NOT NULL DEFAULT 0,
        created_at        timestamptz,
        deleted_at        timestamptz,
        last_activity_at  timestamptz NOT NULL
      )`);
    await sql.query(`CREATE INDEX IF NOT EXISTS ${t}_feed ON ${t} (created_at DESC, post_id DESC) WHERE deleted_at IS NULL AND author_id IS NOT NULL`);
  },

  async apply(deliveries, { sql, table }) {
    const changes = new Map<string, Change>();
    for (const { envelope: event } of deliveries) {
      const at = event.occurredAt;
      const c = changes.get(event.data.postId) ?? { authorId: null, text: null, createdAt: null, deletedAt: null, counts: NO_COUNTS, lastActivityAt: at };
      if (at > c.lastActivityAt) c.lastActivityAt = at;
      if (event.type === T.PostCreated) Object.assign(c, { authorId: event.data.authorId, text: event.data.text, createdAt: at });
      if (event.type === T.PostDeleted) c.deletedAt = at;
      c.counts = evolveCounts(c.counts, event);
      changes.set(event.data.postId, c);
    }
    if (changes.size === 0) return;
    const ids = [...changes.keys()];
    const rows = [...changes.values()];
    const t = table('social_posts');
    const updated = await sql.query(
      `INSERT INTO ${t} AS p (post_id, author_id, text, created_at, deleted_at, likes, comments, last_activity_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[], $7::int[], $8::timestamptz[])
       ON CONFLICT (post_id) DO UPDATE SET
         author_id = COALESCE(EXCLUDED.author_id, p.author_id),
         text = COALESCE(EXCLUDED.text, p.text),
         created_at = COALESCE(p.created_at, EXCLUDED.created_at),
         deleted_at = COALESCE(p.deleted_at, EXCLUDED.deleted_at),
         likes = p.likes + EXCLUDED.likes,
         comments = p.comments + EXCLUDED.comments,
         last_activity_at = GREATEST(p.last_activity_at, EXCLUDED.last_activity_at)
       RETURNING post_id, likes, comments, deleted_at IS NOT NULL AS deleted`,
      [
        ids,
        rows.map((r) => r.authorId),
        rows.map((r) => r.text),
        rows.map((r) => r.createdAt),
        rows.map((r) => r.deletedAt),
        rows.map((r) => r.counts.likes),
        rows.map((r) => r.counts.comments),
        rows.map((r) => r.lastActivityAt),
      ],
    );
    // NOTIFY is transactional: listeners (live SSE in any process) hear it only once this batch
    // commits. Payloads are capped at 8000 bytes, so the rows go in chunks, all in one statement.
    await sql.query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [POST_COUNTS_CHANNEL, notifyChunks(updated.rows, Date.now())]);
  },
});

const NOTIFY_LIMIT = 7900;

/** Each item: [postId, likes, comments, deleted, epoch ms the batch was applied] (the last times committed → pushed). */
function notifyChunks(rows: Array<{ post_id: string; likes: number; comments: number; deleted: boolean }>, appliedAt: number): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const r of rows) {
    const item = JSON.stringify([r.post_id, r.likes, r.comments, r.deleted, appliedAt]);
    if (size + item.length + 1 > NOTIFY_LIMIT && current.length > 0) {
      chunks.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    current.push(item);
    size += item.length + 1;
  }
  if (current.length > 0) chunks.push(`[${current.join(',')}]`);
  return chunks;
}
