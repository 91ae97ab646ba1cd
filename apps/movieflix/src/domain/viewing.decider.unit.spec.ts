import { RuleViolated, ValidationFailed } from '@streamfold/core';
import { deciderSpec } from '@streamfold/testing';
import { MovieflixEventType as T, ViewingEvent } from './movieflix.events';
import { viewingDecider } from './viewing.decider';

const video = { videoId: '1', title: 'Toy Story (1995)', genres: ['Animation', 'Comedy'] };
const playing: ViewingEvent = { type: T.PlaybackStarted, data: { ...video, userId: 'u1', device: 'tv', positionSec: 600, durationSec: 5000 } };
const spec = deciderSpec(viewingDecider);
const stopAt = (positionSec: number) => ({ type: 'StopPlayback' as const, userId: 'u1', video, positionSec });

describe('viewing decider', () => {
  it('starts a playback, carrying the video facts', () => {
    spec.when({ type: 'StartPlayback', userId: 'u1', video, device: 'tv', positionSec: 600, durationSec: 5000 }).then([playing]);
  });

  it('treats the same start on the same device as a retry, and another device as a take-over', () => {
    spec.given([playing]).when({ type: 'StartPlayback', userId: 'u1', video, device: 'tv', positionSec: 700, durationSec: 5000 }).then([]);
    spec
      .given([playing])
      .when({ type: 'StartPlayback', userId: 'u1', video, device: 'phone', positionSec: 700, durationSec: 5000 })
      .then([{ type: T.PlaybackStarted, data: { ...video, userId: 'u1', device: 'phone', positionSec: 700, durationSec: 5000 } }]);
  });

  it('finishes at exactly 90 % and abandons just below, counting the seconds watched since the start', () => {
    const data = { ...video, userId: 'u1', device: 'tv', durationSec: 5000 };
    spec.given([playing]).when(stopAt(4500)).then([{ type: T.PlaybackFinished, data: { ...data, positionSec: 4500, watchedSec: 3900 } }]);
    spec.given([playing]).when(stopAt(4499)).then([{ type: T.PlaybackAbandoned, data: { ...data, positionSec: 4499, watchedSec: 3899 } }]);
  });

  it('refuses a stop without a playback, and positions outside the video', () => {
    spec.when(stopAt(10)).thenThrows(RuleViolated);
    spec.given([playing]).when(stopAt(5001)).thenThrows((e) => e instanceof ValidationFailed && e.field === 'positionSec');
    spec.when({ type: 'StartPlayback', userId: 'u1', video, device: 'tv', positionSec: 0, durationSec: 0 }).thenThrows((e) => e instanceof ValidationFailed && e.field === 'durationSec');
  });

  it('rates in half stars; the same rating again changes nothing', () => {
    const rated: ViewingEvent = { type: T.VideoRated, data: { ...video, userId: 'u1', rating: 4.5 } };
    spec.when({ type: 'RateVideo', userId: 'u1', video, rating: 4.5 }).then([rated]);
    spec.given([rated]).when({ type: 'RateVideo', userId: 'u1', video, rating: 4.5 }).then([]);
    for (const rating of [0, 4.3, 5.5, Number.NaN]) {
      spec.when({ type: 'RateVideo', userId: 'u1', video, rating }).thenThrows((e) => e instanceof ValidationFailed && e.field === 'rating');
    }
  });
});
