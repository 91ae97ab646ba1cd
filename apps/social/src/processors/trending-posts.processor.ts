import { DomainEvent } from '@streamfold/core';
import { BatchProcessor } from '@streamfold/projections';
import { bucketOf, isLate, points, TRENDING_EVENTS, TRENDING_LATENESS_MS, TRENDING_WINDOW_MS, trendingDelta, TrendingEvent } from '../domain/trending';
import { SocialTopic } from '../social.topics';

export const PostTrendingScoreChanged = 'social.PostTrendingScoreChanged';
export type PostTrendingScoreChanged = DomainEvent<
  typeof PostTrendingScoreChanged,
  { postId: string; score: number; windowStart: string; windowEnd: string }
>;

interface TrendingState {
  /** Latest event time seen for the post (its watermark). */
  watermark: number;
  /** Points per one-minute bucket start (see `points`). */
  buckets: Record<string, number>;
  score: number;
  late: number;
}

/**
 * Emits a post's trending score to `trending_posts` when a window changed it, at most once per
 * post per second (a score over the past hour needs no finer grain): the score of the hour of
 * event time ending at the post's watermark (same formula and lateness bound as the trending read
 * model, from domain/trending.ts). Purely event-time driven, so a replay ends at the same scores.
 */
export const trendingPostsProcessor: BatchProcessor<TrendingState, PostTrendingScoreChanged, TrendingEvent> = {
  name: 'social.trending_posts',
  topics: [SocialTopic.likes, SocialTopic.comments],
  handles: TRENDING_EVENTS,
  keyOf: (d) => d.envelope.data.postId,
  windowMs: 1000,
  initialState: () => ({ watermark: 0, buckets: {}, score: 0, late: 0 }),

  evolve(state, { envelope }) {
    const at = Date.parse(envelope.occurredAt);
    if (isLate(at, state.watermark)) return { ...state, late: state.late + 1 };
    const watermark = Math.max(state.watermark, at);
    const buckets = { ...state.buckets };
    const bucket = String(bucketOf(at));
    buckets[bucket] = (buckets[bucket] ?? 0) + points(trendingDelta(envelope));
    // Buckets that can no longer be in any window (older than window + lateness) are dropped.
    const horizon = watermark - TRENDING_WINDOW_MS - TRENDING_LATENESS_MS;
    for (const key of Object.keys(buckets)) if (Number(key) < horizon) delete buckets[key];
    const windowStart = watermark - TRENDING_WINDOW_MS;
    const score = Object.entries(buckets).reduce((sum, [start, p]) => (Number(start) > windowStart ? sum + p : sum), 0);
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
