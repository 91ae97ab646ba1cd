import { DomainEvent } from '@streamfold/core';
import { BatchProcessor, Delivery } from '@streamfold/projections';
import { SocialEventType as T } from '../domain/social.events';
import { COMMENT_WEIGHT, TRENDING_LATENESS_MS, TRENDING_WINDOW_MS } from '../read-models/trending.projection';
import { SocialTopic } from '../social.topics';

export const PostTrendingScoreChanged = 'social.PostTrendingScoreChanged';
export type PostTrendingScoreChanged = DomainEvent<
  typeof PostTrendingScoreChanged,
  { postId: string; score: number; windowStart: string; windowEnd: string }
>;

const BUCKET_MS = 60_000;

interface TrendingState {
  /** Latest event time seen for the post (its watermark). */
  watermark: number;
  /** Points per one-minute bucket start (likes count 1, comments COMMENT_WEIGHT). */
  buckets: Record<string, number>;
  score: number;
  late: number;
}

const POINTS: Record<string, number> = {
  [T.PostLiked]: 1,
  [T.PostUnliked]: -1,
  [T.CommentAdded]: COMMENT_WEIGHT,
  [T.CommentDeleted]: -COMMENT_WEIGHT,
};

/**
 * Emits a post's trending score to `trending_posts` when a batch changed it: the score of the
 * hour of event time ending at the post's watermark (same formula and lateness bound as the
 * trending read model). Purely event-time driven, so a replay emits the same scores.
 */
export const trendingPostsProcessor: BatchProcessor<TrendingState, PostTrendingScoreChanged> = {
  name: 'social.trending_posts',
  topics: [SocialTopic.likes, SocialTopic.comments],
  handles: Object.keys(POINTS),
  keyOf: (d: Delivery) => (d.envelope.data as { postId: string }).postId,
  initialState: () => ({ watermark: 0, buckets: {}, score: 0, late: 0 }),

  evolve(state, { envelope }) {
    const at = Date.parse(envelope.occurredAt);
    if (at < state.watermark - TRENDING_LATENESS_MS) return { ...state, late: state.late + 1 };
    const watermark = Math.max(state.watermark, at);
    const buckets = { ...state.buckets };
    const bucket = String(Math.floor(at / BUCKET_MS) * BUCKET_MS);
    buckets[bucket] = (buckets[bucket] ?? 0) + (POINTS[envelope.type] ?? 0);
    // Buckets that can no longer be in any window (older than window + lateness) are dropped.
    const horizon = watermark - TRENDING_WINDOW_MS - TRENDING_LATENESS_MS;
    for (const key of Object.keys(buckets)) if (Number(key) < horizon) delete buckets[key];
    const windowStart = watermark - TRENDING_WINDOW_MS;
    const score = Object.entries(buckets).reduce((sum, [start, points]) => (Number(start) > windowStart ? sum + points : sum), 0);
    return { watermark, buckets, score, late: state.late };
  },

  emit(postId, before, after) {
    if (before && before.score === after.score) return null;
    return {
      type: PostTrendingScoreChanged,
      streamId: `post-trending-${postId}`,
      data: {
        postId,
        score: after.score,
        windowStart: new Date(after.watermark - TRENDING_WINDOW_MS).toISOString(),
        windowEnd: new Date(after.watermark).toISOString(),
      },
    };
  },
};
