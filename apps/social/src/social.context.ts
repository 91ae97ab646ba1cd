import { EventRegistry } from '@streamfold/core';
import { transactionalAppender } from '@streamfold/eventstore';
import { defineContext } from '@streamfold/nestjs';
import { defineBatchProcessor } from '@streamfold/projections';
import { SOCIAL_EVENT_TYPES } from './domain/social.events';
import { postsWithCountsProcessor } from './processors/posts-with-counts.processor';
import { trendingPostsProcessor } from './processors/trending-posts.processor';
import { postCountsProjection } from './read-models/post-counts.projection';
import { trendingProjection } from './read-models/trending.projection';
import { launchDaySimulator } from './simulator/launch-day';
import { routeSocialEvent, SOCIAL_TOPICS } from './social.topics';

// Processors append their output inside the batch's transaction, validated like any append.
const emitter = transactionalAppender(new EventRegistry().register(...SOCIAL_EVENT_TYPES));

/** MySocialMedia: posts, likes, comments, live counts, trending. */
export const socialContext = defineContext({
  name: 'social',
  description: 'MySocialMedia: posts, likes and comments, with live counts, a feed and trending posts',
  events: SOCIAL_EVENT_TYPES,
  streams: ['post', 'like', 'comment', 'post-counts', 'post-trending'],
  topics: SOCIAL_TOPICS,
  route: routeSocialEvent,
  projections: [
    postCountsProjection,
    trendingProjection,
    defineBatchProcessor(postsWithCountsProcessor, { eventStore: emitter }),
    defineBatchProcessor(trendingPostsProcessor, { eventStore: emitter }),
  ],
  simulator: launchDaySimulator,
});
