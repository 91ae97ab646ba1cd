import { DomainEvent } from '@streamfold/core';
import { BatchProcessor } from '@streamfold/projections';
import { evolveCounts, NO_COUNTS, PostCounts } from '../domain/post-counts';
import { SocialEvent, SocialEventType as T } from '../domain/social.events';
import { SocialTopic } from '../social.topics';

export const PostCountsChanged = 'social.PostCountsChanged';
export type PostCountsChanged = DomainEvent<typeof PostCountsChanged, { postId: string } & PostCounts>;

/**
 * Emits the counts of a post to `posts_with_counts` (key post id, compacted) whenever a window
 * changed them: downstream consumers get a changelog of absolute counts, at most one event per post
 * per 500 ms however hot the post. Output, state and checkpoint commit together. The count rule is
 * the read model's (`evolveCounts`). Clients see counts live from the post_counts read model, not
 * from this topic. At 100 ms windows the derived events of the two social processors (appended,
 * relayed and produced like any other) were ~400/s at 1,000 likes/s on 20 posts, and the like →
 * visible p99 was 620–720 ms against 240–420 ms at these windows (same script, same machine).
 */
export const postsWithCountsProcessor: BatchProcessor<PostCounts, PostCountsChanged, SocialEvent> = {
  name: 'social.posts_with_counts',
  topics: [SocialTopic.posts, SocialTopic.likes, SocialTopic.comments],
  handles: Object.values(T),
  keyOf: (d) => d.envelope.data.postId,
  windowMs: 500,
  initialState: () => NO_COUNTS,
  evolve: (state, { envelope }) => evolveCounts(state, envelope),

  emit(postId, before, after) {
    if (before && before.likes === after.likes && before.comments === after.comments && before.deleted === after.deleted) return null;
    return { type: PostCountsChanged, streamId: `post-counts-${postId}`, data: { postId, ...after } };
  },
};
