import { DomainEvent } from '@streamfold/core';
import { BatchProcessor } from '@streamfold/projections';
import { evolveCounts, NO_COUNTS, PostCounts } from '../domain/post-counts';
import { SocialEvent, SocialEventType as T } from '../domain/social.events';
import { SocialTopic } from '../social.topics';

export const PostCountsChanged = 'social.PostCountsChanged';
export type PostCountsChanged = DomainEvent<typeof PostCountsChanged, { postId: string } & PostCounts>;

/**
 * Emits the counts of a post to `posts_with_counts` (key post id, compacted) whenever a batch
 * changed them: downstream consumers get a changelog of absolute counts, one event per post per
 * batch however hot the post. Output, state and checkpoint commit together. The count rule is
 * the read model's (`evolveCounts`).
 */
export const postsWithCountsProcessor: BatchProcessor<PostCounts, PostCountsChanged, SocialEvent> = {
  name: 'social.posts_with_counts',
  topics: [SocialTopic.posts, SocialTopic.likes, SocialTopic.comments],
  handles: Object.values(T),
  keyOf: (d) => d.envelope.data.postId,
  initialState: () => NO_COUNTS,
  evolve: (state, { envelope }) => evolveCounts(state, envelope),

  emit(postId, before, after) {
    if (before && before.likes === after.likes && before.comments === after.comments && before.deleted === after.deleted) return null;
    return { type: PostCountsChanged, streamId: `post-counts-${postId}`, data: { postId, ...after } };
  },
};
