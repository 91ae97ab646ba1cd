import { LikeEvent, CommentEvent, SocialEventType as T } from './social.events';

/** Window of "trending": the past hour of event time. */
export const TRENDING_WINDOW_MS = 3600_000;
/** How far behind its watermark (latest event time seen) an event may arrive and still count. */
export const TRENDING_LATENESS_MS = 10 * 60_000;
/** Weight of a comment against a like in the score. */
export const COMMENT_WEIGHT = 2;
/** Trending counts in one-minute buckets of event time. */
export const BUCKET_MS = 60_000;

/** The events that move a post's trending score. */
export type TrendingEvent = LikeEvent | CommentEvent;
export const TRENDING_EVENTS = [T.PostLiked, T.PostUnliked, T.CommentAdded, T.CommentDeleted] as const;

/** Start (epoch ms) of the bucket an event time falls in. */
export function bucketOf(atMs: number): number {
  return Math.floor(atMs / BUCKET_MS) * BUCKET_MS;
}

/** An event more than the lateness bound behind the watermark is late: not counted, reported. */
export function isLate(atMs: number, watermarkMs: number): boolean {
  return atMs < watermarkMs - TRENDING_LATENESS_MS;
}

/** Likes and comments an event adds to its bucket (negative for removals). */
export function trendingDelta(event: TrendingEvent): { likes: number; comments: number } {
  switch (event.type) {
    case T.PostLiked:
      return { likes: 1, comments: 0 };
    case T.PostUnliked:
      return { likes: -1, comments: 0 };
    case T.CommentAdded:
      return { likes: 0, comments: 1 };
    case T.CommentDeleted:
      return { likes: 0, comments: -1 };
  }
}

/** score = likes + COMMENT_WEIGHT × comments, over the buckets of the window. */
export function points(delta: { likes: number; comments: number }): number {
  return delta.likes + COMMENT_WEIGHT * delta.comments;
}
