import { EventEnvelope } from '@streamfold/core';
import { TopicSpec } from '@streamfold/messaging';
import { SocialEventType as T } from './domain/social.events';

export const SocialTopic = {
  posts: 'posts',
  likes: 'likes',
  comments: 'comments',
  postsWithCounts: 'posts_with_counts',
  trendingPosts: 'trending_posts',
  postViews: 'post_views',
} as const;

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** posts: long retention, keyed by author; likes and comments: the high-volume ones, keyed by post. */
export const SOCIAL_TOPICS: TopicSpec[] = [
  { name: SocialTopic.posts, partitions: 6, retentionMs: -1 },
  { name: SocialTopic.likes, partitions: 32, retentionMs: WEEK_MS },
  { name: SocialTopic.comments, partitions: 32, retentionMs: WEEK_MS },
  { name: SocialTopic.postsWithCounts, partitions: 12, cleanupPolicy: 'compact' },
  { name: SocialTopic.trendingPosts, partitions: 6, retentionMs: WEEK_MS },
  // Ingested telemetry (POST /ingest/post_views): read by the lake sink only.
  { name: SocialTopic.postViews, partitions: 8, retentionMs: WEEK_MS },
];

/** Where the relay publishes each social event, and with which key. */
export function routeSocialEvent(envelope: EventEnvelope): { topic: string; key: string } | null {
  const data = envelope.data as Record<string, string>;
  switch (envelope.type) {
    case T.PostCreated:
    case T.PostDeleted:
      return { topic: SocialTopic.posts, key: data.authorId };
    case T.PostLiked:
    case T.PostUnliked:
      return { topic: SocialTopic.likes, key: data.postId };
    case T.CommentAdded:
    case T.CommentDeleted:
      return { topic: SocialTopic.comments, key: data.postId };
    case 'social.PostCountsChanged':
      return { topic: SocialTopic.postsWithCounts, key: data.postId };
    case 'social.PostTrendingScoreChanged':
      return { topic: SocialTopic.trendingPosts, key: data.postId };
    default:
      return null;
  }
}
