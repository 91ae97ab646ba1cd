import { DomainEvent, EventTypeDefinition } from '@streamfold/core';

/** Wire names are stable: never rename one, add a new type instead. */
export const MovieflixEventType = {
  PlaybackStarted: 'movieflix.PlaybackStarted',
  PlaybackFinished: 'movieflix.PlaybackFinished',
  PlaybackAbandoned: 'movieflix.PlaybackAbandoned',
  VideoRated: 'movieflix.VideoRated',
  RecommendationsUpdated: 'movieflix.RecommendationsUpdated',
  /** Telemetry: produced straight to `show_position`, never through the event store. */
  PositionReported: 'movieflix.PositionReported',
} as const;
const T = MovieflixEventType;

/** What the catalogue says of a video, carried by intent events so read models never look it up (replays stay pure). */
export interface VideoFacts {
  videoId: string;
  title: string;
  genres: string[];
}

export type PlaybackStarted = DomainEvent<typeof T.PlaybackStarted, VideoFacts & { userId: string; device: string; positionSec: number; durationSec: number }>;
/** The viewer stopped at ≥ 90 % of the duration. */
export type PlaybackFinished = DomainEvent<typeof T.PlaybackFinished, VideoFacts & { userId: string; device: string; positionSec: number; durationSec: number; watchedSec: number }>;
export type PlaybackAbandoned = DomainEvent<typeof T.PlaybackAbandoned, VideoFacts & { userId: string; device: string; positionSec: number; durationSec: number; watchedSec: number }>;
/** Stars from 0.5 to 5 in halves. */
export type VideoRated = DomainEvent<typeof T.VideoRated, VideoFacts & { userId: string; rating: number }>;

export type RecommendationReason = { kind: 'because-you-watched'; videoId: string; title: string } | { kind: 'popular-in-genre'; genre: string } | { kind: 'popular' };
export interface RecommendedVideo {
  videoId: string;
  title: string;
  score: number;
  reason: RecommendationReason;
}
export type RecommendationsUpdated = DomainEvent<typeof T.RecommendationsUpdated, { userId: string; items: RecommendedVideo[] }>;

/** One heartbeat of a player: where the viewer is in the video, at the envelope's occurredAt. */
export type PositionReported = DomainEvent<typeof T.PositionReported, { userId: string; videoId: string; positionSec: number; durationSec: number; device: string }>;

export type ViewingEvent = PlaybackStarted | PlaybackFinished | PlaybackAbandoned | VideoRated;
export type MovieflixEvent = ViewingEvent | RecommendationsUpdated | PositionReported;

type Check = (data: any) => string[];
const str: (field: string) => Check = (field) => (d) => (typeof d?.[field] === 'string' && d[field].length > 0 && d[field].length <= 200 ? [] : [`${field} must be a non-empty string`]);
const num: (field: string) => Check = (field) => (d) => (typeof d?.[field] === 'number' && Number.isFinite(d[field]) && d[field] >= 0 ? [] : [`${field} must be a number ≥ 0`]);
const list: (field: string) => Check = (field) => (d) => (Array.isArray(d?.[field]) ? [] : [`${field} must be an array`]);
const all = (...checks: Check[]): Check => (d) => checks.flatMap((c) => c(d));
const video = all(str('userId'), str('videoId'), str('title'), list('genres'));
const playback = all(video, str('device'), num('positionSec'), num('durationSec'));

export const MOVIEFLIX_EVENT_TYPES: EventTypeDefinition[] = [
  { type: T.PlaybackStarted, validate: playback },
  { type: T.PlaybackFinished, validate: all(playback, num('watchedSec')) },
  { type: T.PlaybackAbandoned, validate: all(playback, num('watchedSec')) },
  { type: T.VideoRated, validate: all(video, num('rating')) },
  { type: T.RecommendationsUpdated, validate: all(str('userId'), list('items')) },
  { type: T.PositionReported, validate: all(str('userId'), str('videoId'), str('device'), num('positionSec'), num('durationSec')) },
];

export const VIEWING_EVENTS = [T.PlaybackStarted, T.PlaybackFinished, T.PlaybackAbandoned, T.VideoRated] as const;
