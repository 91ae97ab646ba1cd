import { DomainEvent, EventTypeDefinition } from '@streamfold/core';

/** Wire names are stable: never rename one, add a new type instead. */
export const SocialEventType = {
  PostCreated: 'social.PostCreated',
  PostDeleted: 'social.PostDeleted',
  PostLiked: 'social.PostLiked',
  PostUnliked: 'social.PostUnliked',
  CommentAdded: 'social.CommentAdded',
  CommentDeleted: 'social.CommentDeleted',
} as const;

/**
 * Telemetry ingested over HTTP (`POST /ingest/post_views`), never in the event store and folded by
 * no read model: a user saw a post. Kept out of SocialEventType, which the read models handle.
 */
export const POST_VIEWED = 'social.PostViewed';

export type PostCreated = DomainEvent<typeof SocialEventType.PostCreated, { postId: string; authorId: string; text: string }>;
export type PostDeleted = DomainEvent<typeof SocialEventType.PostDeleted, { postId: string; authorId: string }>;
export type PostLiked = DomainEvent<typeof SocialEventType.PostLiked, { postId: string; userId: string }>;
export type PostUnliked = DomainEvent<typeof SocialEventType.PostUnliked, { postId: string; userId: string }>;
export type CommentAdded = DomainEvent<
  typeof SocialEventType.CommentAdded,
  { postId: string; commentId: string; authorId: string; text: string }
>;
export type CommentDeleted = DomainEvent<typeof SocialEventType.CommentDeleted, { postId: string; commentId: string; authorId: string }>;

export type PostEvent = PostCreated | PostDeleted;
export type LikeEvent = PostLiked | PostUnliked;
export type CommentEvent = CommentAdded | CommentDeleted;
export type SocialEvent = PostEvent | LikeEvent | CommentEvent;

const str = (field: string, max = 200) => (data: any): string[] =>
  typeof data?.[field] === 'string' && data[field].length > 0 && data[field].length <= max ? [] : [`${field} must be a non-empty string of at most ${max} characters`];
const all = (...checks: Array<(d: unknown) => string[]>) => (data: unknown) => checks.flatMap((c) => c(data));

export const SOCIAL_EVENT_TYPES: EventTypeDefinition[] = [
  { type: SocialEventType.PostCreated, validate: all(str('postId'), str('authorId'), str('text', 4000)) },
  { type: SocialEventType.PostDeleted, validate: all(str('postId'), str('authorId')) },
  { type: SocialEventType.PostLiked, validate: all(str('postId'), str('userId')) },
  { type: SocialEventType.PostUnliked, validate: all(str('postId'), str('userId')) },
  { type: SocialEventType.CommentAdded, validate: all(str('postId'), str('commentId'), str('authorId'), str('text', 4000)) },
  { type: SocialEventType.CommentDeleted, validate: all(str('postId'), str('commentId'), str('authorId')) },
  // Emitted by processors (apps/social/src/processors) for downstream consumers.
  { type: 'social.PostCountsChanged', validate: str('postId') },
  { type: 'social.PostTrendingScoreChanged', validate: str('postId') },
  { type: POST_VIEWED, validate: all(str('postId'), str('userId')) },
];
