import { defineBatchProcessor } from '@streamfold/projections';
import { EventRegistry } from '@streamfold/core';
import { transactionalAppender } from '@streamfold/eventstore';
import { SOCIAL_EVENT_TYPES } from './domain/social.events';
import { postsWithCountsProcessor } from './processors/posts-with-counts.processor';
import { trendingPostsProcessor } from './processors/trending-posts.processor';
import { postCountsProjection } from './read-models/post-counts.projection';
import { trendingProjection } from './read-models/trending.projection';
import { SocialModule } from './social.module';
import { routeSocialEvent, SOCIAL_TOPICS } from './social.topics';

// Processors append their output inside the batch's transaction (validated like any append).
const emitter = transactionalAppender(new EventRegistry().register(...SOCIAL_EVENT_TYPES));

/** What the host process needs to run MySocialMedia. */
export const SocialContext = {
  name: 'social',
  module: SocialModule,
  topics: SOCIAL_TOPICS,
  eventTypes: SOCIAL_EVENT_TYPES,
  route: routeSocialEvent,
  projections: [
    postCountsProjection,
    trendingProjection,
    defineBatchProcessor(postsWithCountsProcessor, { eventStore: emitter }),
    defineBatchProcessor(trendingPostsProcessor, { eventStore: emitter }),
  ],
};

export { SocialModule };
