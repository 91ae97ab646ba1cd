import { defineProjection } from '@streamfold/projections';
import { bucketOf, COMMENT_WEIGHT, isLate, TRENDING_EVENTS, TRENDING_WINDOW_MS, trendingDelta, TrendingEvent } from '../domain/trending';
import { SocialTopic } from '../social.topics';

/**
 * Trending = score over the past hour by event time, in one-minute buckets:
 *   score(post) = Σ likes − unlikes + 2 × (comments − deleted comments), over buckets with start > now − 1h
 * Deleted posts are excluded (joined with social_posts); ties go to the most recent activity, then
 * the smaller post id. An event older than its partition's watermark minus 10 minutes is late:
 * it is not counted (and is reported in `social_trending_marks.late`), so a replay gives the same result.
 * The rules (buckets, lateness, weights) are shared with the trending_posts processor.
 */
export const trendingProjection = defineProjection<TrendingEvent>({
  name: 'social.trending',
  topics: [SocialTopic.likes, SocialTopic.comments],
  tables: ['social_trending', 'social_trending_marks'],
  handles: TRENDING_EVENTS,

  async setup({ sql, table }) {
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${table('social_trending')} (
        post_id   text NOT NULL,
        bucket    timestamptz NOT NULL,
        likes     integer NOT NULL DEFAULT 0,
        comments  integer NOT NULL DEFAULT 0,
        PRIMARY KEY (post_id, bucket)
      )`);
    await sql.query(`CREATE INDEX IF NOT EXISTS ${table('social_trending')}_bucket ON ${table('social_trending')} (bucket)`);
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${table('social_trending_marks')} (
        topic      text NOT NULL,
        partition  integer NOT NULL,
        watermark  timestamptz NOT NULL,
        late       bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (topic, partition)
      )`);
  },

  // One call per transaction: each partition keeps its own watermark, read and written together.
  applyScope: 'transaction',
  // A score over the past hour needs no millisecond freshness: a quarter second of batches per
  // transaction (50 ms before) keeps this read model's transactions few at any rate.
  gatherMs: 250,

  async apply(deliveries, { sql, table }) {
    if (deliveries.length === 0) return;
    const marks = table('social_trending_marks');
    const partitions = new Map<string, { topic: string; partition: number; watermark: number; late: number }>();
    for (const { topic, partition } of deliveries) {
      const key = `${topic}:${partition}`;
      if (!partitions.has(key)) partitions.set(key, { topic, partition, watermark: -Infinity, late: 0 });
    }
    const parts = [...partitions.values()];
    const found = await sql.query(
      `SELECT m.topic, m.partition, m.watermark FROM ${marks} m JOIN unnest($1::text[], $2::int[]) AS u(topic, partition) USING (topic, partition)`,
      [parts.map((p) => p.topic), parts.map((p) => p.partition)],
    );
    for (const row of found.rows) partitions.get(`${row.topic}:${row.partition}`)!.watermark = new Date(row.watermark).getTime();
    const buckets = new Map<string, { postId: string; bucket: number; likes: number; comments: number }>();
    for (const { envelope: event, topic, partition } of deliveries) {
      const mark = partitions.get(`${topic}:${partition}`)!;
      const at = Date.parse(event.occurredAt);
      if (isLate(at, mark.watermark)) {
        mark.late++;
        continue;
      }
      mark.watermark = Math.max(mark.watermark, at);
      const bucket = bucketOf(at);
      const key = `${event.data.postId}@${bucket}`;
      const b = buckets.get(key) ?? { postId: event.data.postId, bucket, likes: 0, comments: 0 };
      const delta = trendingDelta(event);
      b.likes += delta.likes;
      b.comments += delta.comments;
      buckets.set(key, b);
    }
    if (buckets.size > 0) {
      const rows = [...buckets.values()];
      await sql.query(
        `INSERT INTO ${table('social_trending')} AS t (post_id, bucket, likes, comments)
         SELECT p, to_timestamp(b / 1000.0), l, c FROM unnest($1::text[], $2::float8[], $3::int[], $4::int[]) AS u(p, b, l, c)
         ON CONFLICT (post_id, bucket) DO UPDATE SET likes = t.likes + EXCLUDED.likes, comments = t.comments + EXCLUDED.comments`,
        [rows.map((r) => r.postId), rows.map((r) => r.bucket), rows.map((r) => r.likes), rows.map((r) => r.comments)],
      );
    }
    const moved = parts.filter((p) => Number.isFinite(p.watermark));
    if (moved.length > 0) {
      await sql.query(
        `INSERT INTO ${marks} (topic, partition, watermark, late)
         SELECT t, p, to_timestamp(w / 1000.0), l FROM unnest($1::text[], $2::int[], $3::float8[], $4::bigint[]) AS u(t, p, w, l)
         ON CONFLICT (topic, partition) DO UPDATE SET watermark = GREATEST(${marks}.watermark, EXCLUDED.watermark), late = ${marks}.late + EXCLUDED.late`,
        [moved.map((p) => p.topic), moved.map((p) => p.partition), moved.map((p) => p.watermark), moved.map((p) => p.late)],
      );
    }
  },
});

/** The ranking over the reader views (active version): total counts, and the score of the past hour. */
export const TRENDING_QUERY = `
  SELECT t.post_id, p.likes, p.comments,
         SUM(t.likes + ${COMMENT_WEIGHT} * t.comments)::int AS score, MAX(t.bucket) AS last_bucket
  FROM social_trending t
  JOIN social_posts p ON p.post_id = t.post_id AND p.deleted_at IS NULL AND p.author_id IS NOT NULL
  WHERE t.bucket > to_timestamp($1 / 1000.0) - interval '${TRENDING_WINDOW_MS / 1000} seconds'
    AND t.bucket <= to_timestamp($1 / 1000.0)
  GROUP BY t.post_id, p.likes, p.comments
  HAVING SUM(t.likes + ${COMMENT_WEIGHT} * t.comments) > 0
  ORDER BY score DESC, last_bucket DESC, t.post_id ASC
  LIMIT $2`;
