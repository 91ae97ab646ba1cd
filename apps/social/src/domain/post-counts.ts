import { assertNever } from '@streamfold/core';
import { SocialEvent, SocialEventType as T } from './social.events';

/** What every reader of a post's counts folds: likes, comments, whether it was deleted. */
export interface PostCounts {
  likes: number;
  comments: number;
  deleted: boolean;
}

export const NO_COUNTS: PostCounts = { likes: 0, comments: 0, deleted: false };

/**
 * The one count rule, used by the `post_counts` read model (folding a batch's change per post)
 * and the `posts_with_counts` processor (folding absolute counts): a like or comment counts +1,
 * its removal −1, a deletion marks the post; creation changes no count.
 */
export function evolveCounts(counts: PostCounts, event: SocialEvent): PostCounts {
  switch (event.type) {
    case T.PostLiked:
      return { ...counts, likes: counts.likes + 1 };
    case T.PostUnliked:
      return { ...counts, likes: counts.likes - 1 };
    case T.CommentAdded:
      return { ...counts, comments: counts.comments + 1 };
    case T.CommentDeleted:
      return { ...counts, comments: counts.comments - 1 };
    case T.PostDeleted:
      return { ...counts, deleted: true };
    case T.PostCreated:
      return counts;
    default:
      return assertNever(event, 'social event');
  }
}
