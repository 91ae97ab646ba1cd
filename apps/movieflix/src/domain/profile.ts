import { assertNever } from '@streamfold/core';
import { addAffinity, GenreAffinity, NO_AFFINITY } from './genre-affinity';
import { MovieflixEventType as T, PositionReported, ViewingEvent } from './movieflix.events';

/** A viewer's profile as the read model stores it. */
export interface Profile {
  watchSec: number;
  finished: number;
  abandoned: number;
  affinity: GenreAffinity;
  /** Device → last seen (epoch ms). */
  devices: Record<string, number>;
  /** Epoch ms; 0 before any activity. */
  lastActive: number;
}

export const NO_PROFILE: Profile = { watchSec: 0, finished: 0, abandoned: 0, affinity: NO_AFFINITY, devices: {}, lastActive: 0 };

/** How much each kind of interaction says about taste: finishing says most, abandoning little. */
export const AFFINITY_WEIGHT = { finished: 1, abandoned: 0.25, rated: 0.5 } as const;

export type ProfileEvent = ViewingEvent | PositionReported;

/**
 * Folds one event into a profile. Every part is order-independent (sums, maxima, the decayed
 * affinity), so live processing, a rebuild and a test's own fold agree.
 */
export function evolveProfile(p: Profile, event: ProfileEvent & { occurredAt: string }): Profile {
  const at = Date.parse(event.occurredAt);
  const seen = (device: string): Profile => ({ ...p, devices: { ...p.devices, [device]: Math.max(p.devices[device] ?? at, at) }, lastActive: Math.max(p.lastActive, at) });
  switch (event.type) {
    case T.PositionReported:
    case T.PlaybackStarted:
      return seen(event.data.device);
    case T.PlaybackFinished: {
      const q = seen(event.data.device);
      return { ...q, watchSec: q.watchSec + event.data.watchedSec, finished: q.finished + 1, affinity: addAffinity(q.affinity, event.data.genres, at, AFFINITY_WEIGHT.finished) };
    }
    case T.PlaybackAbandoned: {
      const q = seen(event.data.device);
      return { ...q, watchSec: q.watchSec + event.data.watchedSec, abandoned: q.abandoned + 1, affinity: addAffinity(q.affinity, event.data.genres, at, AFFINITY_WEIGHT.abandoned) };
    }
    case T.VideoRated:
      // Stars above the middle pull towards the genres; below it, they count for nothing.
      return { ...p, lastActive: Math.max(p.lastActive, at), affinity: addAffinity(p.affinity, event.data.genres, at, event.data.rating >= 3 ? AFFINITY_WEIGHT.rated : 0) };
    default:
      return assertNever(event, 'profile event');
  }
}

/** Finished playbacks over all stopped ones; null before the first. */
export function completionRate(p: Profile): number | null {
  const stopped = p.finished + p.abandoned;
  return stopped === 0 ? null : p.finished / stopped;
}
