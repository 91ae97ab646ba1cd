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
    // The NOTIFY goes in the same statement (one round trip for the batch): listeners (live SSE in
    // any process) hear it only once this batch commits. Payloads are capped at 8000 bytes, so the
    // rows go in chunks (by running length in steps of CHUNK characters, so a chunk of items much
    // shorter than CHUNK stays under 2 × CHUNK), each a JSON array of
    // [postId, likes, comments, deleted, epoch ms the batch was applied] (the last times committed → pushed).
    await sql.query(
      `WITH up AS (
         INSERT INTO ${t} AS p (post_id, author_id, text, created_at, deleted_at, likes, comments, last_activity_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[], $7::int[], $8::timestamptz[])
         ON CONFLICT (post_id) DO UPDATE SET
           author_id = COALESCE(EXCLUDED.author_id, p.author_id),
           text = COALESCE(EXCLUDED.text, p.text),
           created_at = COALESCE(p.created_at, EXCLUDED.created_at),
           deleted_at = COALESCE(p.deleted_at, EXCLUDED.deleted_at),
           likes = p.likes + EXCLUDED.likes,
           comments = p.comments + EXCLUDED.comments,
           last_activity_at = GREATEST(p.last_activity_at, EXCLUDED.last_activity_at)
         RETURNING post_id, likes, comments, deleted_at IS NOT NULL AS deleted
       ),
       items AS (SELECT json_build_array(post_id, likes, comments, deleted, $9::bigint)::text AS item FROM up),
       sized AS (SELECT item, sum(length(item) + 1) OVER (ORDER BY item) AS upto FROM items)
       SELECT pg_notify($10, '[' || string_agg(item, ',') || ']') FROM sized GROUP BY upto / ${CHUNK}`,
      [
        ids,
        rows.map((r) => r.authorId),
        rows.map((r) => r.text),
        rows.map((r) => r.createdAt),
        rows.map((r) => r.deletedAt),
        rows.map((r) => r.counts.likes),
        rows.map((r) => r.counts.comments),
        rows.map((r) => r.lastActivityAt),
        Date.now(),
        POST_COUNTS_CHANNEL,
      ],
    );
  },
});

/** Half of what one NOTIFY payload may hold (PostgreSQL refuses 8000 bytes and more); see apply. */
const CHUNK = 3900;
