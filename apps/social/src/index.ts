import { SOCIAL_EVENT_TYPES } from './domain/social.events';
import { postCountsProjection } from './read-models/post-counts.projection';
import { trendingProjection } from './read-models/trending.projection';
import { SocialModule } from './social.module';
import { routeSocialEvent, SOCIAL_TOPICS } from './social.topics';

/** What the host process needs to run MySocialMedia. */
export const SocialContext = {
  name: 'social',
  module: SocialModule,
  topics: SOCIAL_TOPICS,
  eventTypes: SOCIAL_EVENT_TYPES,
  route: routeSocialEvent,
  projections: [postCountsProjection, trendingProjection],
};

export { SocialModule };
