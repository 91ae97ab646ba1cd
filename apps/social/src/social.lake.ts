import type { IngestStream, LakeNamedQuery, LakeSchemas } from '@streamfold/sink';
import { POST_VIEWED, SocialEventType as T } from './domain/social.events';
import { SocialTopic } from './social.topics';

/** Typed lake columns: likes and comments are grouped by post in nearly every question asked of them. */
export const SOCIAL_LAKE_SCHEMAS: LakeSchemas = {
  [T.PostLiked]: { postId: 'VARCHAR', userId: 'VARCHAR' },
  [T.PostUnliked]: { postId: 'VARCHAR', userId: 'VARCHAR' },
  [T.CommentAdded]: { postId: 'VARCHAR' },
  [T.CommentDeleted]: { postId: 'VARCHAR' },
  [POST_VIEWED]: { postId: 'VARCHAR', userId: 'VARCHAR' },
};

/**
 * The batch layer's answer to the `post_counts` read model's likes column: the same rule
 * (a like +1, its removal −1) folded over the whole history in the lake, so the two can be
 * compared (test/sink/speed-batch.e2e.spec.ts).
 */
export const SOCIAL_LAKE_QUERIES: LakeNamedQuery[] = [
  {
    name: 'likes_per_post',
    description: 'Likes per post over the whole history (likes minus unlikes), posts with at least min_likes',
    sql: `SELECT postId AS post_id, sum(CASE WHEN type = '${T.PostLiked}' THEN 1 ELSE -1 END)::INTEGER AS likes
          FROM likes WHERE type IN ('${T.PostLiked}', '${T.PostUnliked}')
          GROUP BY postId HAVING sum(CASE WHEN type = '${T.PostLiked}' THEN 1 ELSE -1 END) >= $min_likes
          ORDER BY likes DESC, post_id`,
    params: { min_likes: 'integer' },
  },
];

const id = (record: Record<string, unknown>, field: string): string[] =>
  typeof record[field] === 'string' && (record[field] as string).length > 0 && (record[field] as string).length <= 200 ? [] : [`${field} must be a non-empty string of at most 200 characters`];

/**
 * `POST /ingest/post_views`: views are facts by the million with no aggregate to check, so clients
 * batch them straight to Kafka (no event store) and they land in the lake for analytics.
 */
export const SOCIAL_INGEST: Record<string, IngestStream> = {
  post_views: {
    topic: SocialTopic.postViews,
    type: POST_VIEWED,
    validate: (data) => [...id(data as Record<string, unknown>, 'postId'), ...id(data as Record<string, unknown>, 'userId')],
    key: (record) => String(record.postId),
  },
};
