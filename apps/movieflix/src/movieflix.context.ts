import { EventRegistry } from '@streamfold/core';
import { transactionalAppender } from '@streamfold/eventstore';
import { defineContext } from '@streamfold/nestjs';
import { EvaluateCommand } from './cli/evaluate.command';
import { MovieflixCommand, WarmStartCommand } from './cli/movieflix.command';
import { MOVIEFLIX_EVENT_TYPES } from './domain/movieflix.events';
import { MOVIEFLIX_TOPICS, routeMovieflixEvent } from './movieflix.topics';
import { recommenderProcessor } from './processors/recommender.processor';
import { profileProjection } from './read-models/profile.projection';
import { recommendationsProjection } from './read-models/recommendations.projection';
import { resumeProjection } from './read-models/resume.projection';
import { viewingSessionsSimulator } from './simulator/viewing-sessions';

// The recommender appends its output inside the batch's transaction, validated like any append.
const emitter = transactionalAppender(new EventRegistry().register(...MOVIEFLIX_EVENT_TYPES));

/** MovieFlix: resume where you left off, a live profile, recommendations updated as you watch. */
export const movieflixContext = defineContext({
  name: 'movieflix',
  events: MOVIEFLIX_EVENT_TYPES,
  streams: ['viewing', 'recommendations'],
  topics: MOVIEFLIX_TOPICS,
  route: routeMovieflixEvent,
  projections: [resumeProjection, profileProjection, recommendationsProjection, recommenderProcessor({ eventStore: emitter })],
  simulator: viewingSessionsSimulator,
  commands: [MovieflixCommand, EvaluateCommand, WarmStartCommand],
});
