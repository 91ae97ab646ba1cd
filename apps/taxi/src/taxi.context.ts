import { EventRegistry } from '@streamfold/core';
import { transactionalAppender } from '@streamfold/eventstore';
import { defineContext } from '@streamfold/nestjs';
import { DEFAULT_SURGE_RULES } from './domain/surge';
import { TAXI_EVENT_TYPES } from './domain/taxi.events';
import { surgeProcessor } from './processors/surge.processor';
import { driverLocationsProjection } from './read-models/driver-locations.projection';
import { positionHistoryProjection } from './read-models/position-history.projection';
import { ridesProjection } from './read-models/rides.projection';
import { surgeProjection } from './read-models/surge.projection';
import { taxiSimulator } from './simulator/taxi.simulator';
import { TAXI_CONFIG } from './taxi.config';
import { routeTaxiEvent, TAXI_TOPICS } from './taxi.topics';

// The surge processor appends SurgeChanged inside its batch's transaction, validated like any append.
const emitter = transactionalAppender(new EventRegistry().register(...TAXI_EVENT_TYPES));

/** GetTaxi: positions, matching, surge pricing, fares from stored positions. */
export const taxiContext = defineContext({
  name: 'taxi',
  events: TAXI_EVENT_TYPES,
  streams: ['taxi-ride', 'taxi-driver', 'taxi-surge'],
  topics: TAXI_TOPICS,
  route: routeTaxiEvent,
  projections: [
    driverLocationsProjection,
    positionHistoryProjection,
    ridesProjection,
    surgeProjection,
    surgeProcessor({ ...DEFAULT_SURGE_RULES, windowMs: TAXI_CONFIG.surgeWindowMs }, { eventStore: emitter }),
  ],
  simulator: taxiSimulator,
});
