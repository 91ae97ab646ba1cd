import { EventEnvelope } from '@streamfold/core';
import { TopicSpec } from '@streamfold/messaging';
import { TaxiEventType as T } from './domain/taxi.events';
import { TAXI_CONFIG } from './taxi.config';

export const TaxiTopic = {
  taxiPosition: 'taxi_position',
  userPosition: 'user_position',
  rides: 'taxi_rides',
  drivers: 'taxi_drivers',
  surge: 'surge_pricing',
} as const;

const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * Positions: many producers, 36 partitions so projection workers scale out to 36 consumers, short
 * retention (TAXI_POSITION_RETENTION_MS, 1 h by default; the lake and the position history keep
 * them). Rides and drivers: keyed by their aggregate, so one ride's events stay in order.
 */
export const TAXI_TOPICS: TopicSpec[] = [
  { name: TaxiTopic.taxiPosition, partitions: 36, retentionMs: TAXI_CONFIG.positionRetentionMs },
  { name: TaxiTopic.userPosition, partitions: 36, retentionMs: TAXI_CONFIG.positionRetentionMs },
  { name: TaxiTopic.rides, partitions: 12, retentionMs: WEEK_MS },
  { name: TaxiTopic.drivers, partitions: 12, retentionMs: WEEK_MS },
  { name: TaxiTopic.surge, partitions: 12, retentionMs: WEEK_MS },
];

/** Where the relay publishes each event-sourced taxi event; telemetry never goes through the relay. */
export function routeTaxiEvent(envelope: EventEnvelope): { topic: string; key: string } | null {
  const data = envelope.data as Record<string, string>;
  switch (envelope.type) {
    case T.RideRequested:
    case T.DriverAssigned:
    case T.NoDriverAvailable:
    case T.RideStarted:
    case T.RideCompleted:
    case T.RideCancelled:
    case T.FareCalculated:
    case T.FareCorrected:
      return { topic: TaxiTopic.rides, key: data.rideId };
    case T.DriverClaimed:
    case T.DriverReleased:
      return { topic: TaxiTopic.drivers, key: data.driverId };
    case T.SurgeChanged:
      return { topic: TaxiTopic.surge, key: data.region };
    default:
      return null;
  }
}
