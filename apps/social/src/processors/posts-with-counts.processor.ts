import { DomainEvent } from '@streamfold/core';
import { BatchProcessor, Delivery } from '@streamfold/projections';
import { SocialEvent, SocialEventType as T } from '../domain/social.events';
import { SocialTopic } from '../social.topics';

export const PostCountsChanged = 'social.PostCountsChanged';
export type PostCountsChanged = DomainEvent<typeof PostCountsChanged, { postId: string; likes: number; comments: number; deleted: boolean }>;

interface Counts {
  likes: number;
  comments: number;
  deleted: boolean;
}

/**
 * Emits the counts of a post to `posts_with_counts` (key post id, compacted) whenever a batch
 * changed them: downstream consumers get a changelog of absolute counts, one event per post per
 * batch however hot the post. Output, state and checkpoint commit together.
 */
export const postsWithCountsProcessor: BatchProcessor<Counts, PostCountsChanged> = {
  name: 'social.posts_with_counts',
  topics: [SocialTopic.posts, SocialTopic.likes, SocialTopic.comments],
  handles: Object.values(T),
  keyOf: (d: Delivery) => (d.envelope.data as { postId: string }).postId,
  initialState: () => ({ likes: 0, comments: 0, deleted: false }),

  evolve(state, { envelope }) {
    const event = { type: envelope.type, data: envelope.data } as SocialEvent;
    switch (event.type) {
      case T.PostLiked:
        return { ...state, likes: state.likes + 1 };
      case T.PostUnliked:
        return { ...state, likes: state.likes - 1 };
      case T.CommentAdded:
        return { ...state, comments: state.comments + 1 };
      case T.CommentDeleted:
        return { ...state, comments: state.comments - 1 };
      case T.PostDeleted:
        return { ...state, deleted: true };
      case T.PostCreated:
        return state;
    }
  },

  emit(postId, before, after) {
    if (before && before.likes === after.likes && before.comments === after.comments && before.deleted === after.deleted) return null;
    return { type: PostCountsChanged, streamId: `post-counts-${postId}`, data: { postId, ...after } };
  },
};
