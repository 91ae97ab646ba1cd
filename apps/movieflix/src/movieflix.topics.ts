import { EventEnvelope } from '@streamfold/core';
import { TopicSpec } from '@streamfold/messaging';
import { MovieflixEventType as T } from './domain/movieflix.events';

export const MovieflixTopic = {
  /** Heartbeats, produced straight to Kafka (telemetry): the high-volume one. */
  showPosition: 'show_position',
  /** Intent: playbacks started, finished, abandoned, ratings (relayed from the event store). */
  playback: 'playback_events',
  recommendations: 'recommendations',
} as const;

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Every topic keyed by user id: one viewer's events stay in order on one partition. */
export const MOVIEFLIX_TOPICS: TopicSpec[] = [
  // Many producers, millions of heartbeats: more than 30 partitions, a week of history.
  { name: MovieflixTopic.showPosition, partitions: 36, retentionMs: WEEK_MS },
  { name: MovieflixTopic.playback, partitions: 12, retentionMs: -1 },
  // Only the latest list per user matters to a reader: compacted.
  { name: MovieflixTopic.recommendations, partitions: 6, cleanupPolicy: 'compact' },
];

/** Where the relay publishes each MovieFlix event, and with which key. */
export function routeMovieflixEvent(envelope: EventEnvelope): { topic: string; key: string } | null {
  const data = envelope.data as { userId?: unknown };
  if (typeof data?.userId !== 'string') return null;
  switch (envelope.type) {
    case T.PlaybackStarted:
    case T.PlaybackFinished:
    case T.PlaybackAbandoned:
    case T.VideoRated:
      return { topic: MovieflixTopic.playback, key: data.userId };
    case T.RecommendationsUpdated:
      return { topic: MovieflixTopic.recommendations, key: data.userId };
    case T.PositionReported:
      return { topic: MovieflixTopic.showPosition, key: data.userId };
    default:
      return null;
  }
}
