import { assertNever, Decider } from '@streamfold/core';
import { InputInvalid, PlaybackNotStarted } from './movieflix.errors';
import { MovieflixEventType as T, VideoFacts, ViewingEvent } from './movieflix.events';

/** A playback counts as finished from this share of the duration on. */
export const FINISHED_SHARE = 0.9;

export type ViewingState =
  | { status: 'idle'; rating: number | null }
  | { status: 'playing'; rating: number | null; device: string; startPositionSec: number; durationSec: number };

export type ViewingCommand =
  | { type: 'StartPlayback'; userId: string; video: VideoFacts; device: string; positionSec: number; durationSec: number }
  | { type: 'StopPlayback'; userId: string; video: VideoFacts; positionSec: number }
  | { type: 'RateVideo'; userId: string; video: VideoFacts; rating: number };

/** Stream `viewing-<userId>-<videoId>`: one viewer's playbacks and rating of one video. */
export const viewingStreamId = (userId: string, videoId: string) => `viewing-${userId}-${videoId}`;

export const viewingDecider: Decider<ViewingCommand, ViewingEvent, ViewingState> = {
  initialState: () => ({ status: 'idle', rating: null }),

  decide(command, state) {
    switch (command.type) {
      case 'StartPlayback': {
        checkPosition(command.positionSec, command.durationSec);
        // Starting again on the device already playing is a retry; another device takes over.
        if (state.status === 'playing' && state.device === command.device && state.durationSec === command.durationSec) return [];
        const { video, userId, device, positionSec, durationSec } = command;
        return [{ type: T.PlaybackStarted, data: { ...video, userId, device, positionSec, durationSec } }];
      }
      case 'StopPlayback': {
        if (state.status !== 'playing') throw PlaybackNotStarted.because(command.video.videoId);
        checkPosition(command.positionSec, state.durationSec);
        const data = {
          ...command.video,
          userId: command.userId,
          device: state.device,
          positionSec: command.positionSec,
          durationSec: state.durationSec,
          watchedSec: Math.max(0, command.positionSec - state.startPositionSec),
        };
        return command.positionSec >= FINISHED_SHARE * state.durationSec ? [{ type: T.PlaybackFinished, data }] : [{ type: T.PlaybackAbandoned, data }];
      }
      case 'RateVideo': {
        if (!Number.isInteger(command.rating * 2) || command.rating < 0.5 || command.rating > 5) {
          throw InputInvalid.because('rating', 'must be 0.5 to 5 in steps of 0.5');
        }
        if (state.rating === command.rating) return [];
        return [{ type: T.VideoRated, data: { ...command.video, userId: command.userId, rating: command.rating } }];
      }
      default:
        return assertNever(command, 'viewing command');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case T.PlaybackStarted:
        return { status: 'playing', rating: state.rating, device: event.data.device, startPositionSec: event.data.positionSec, durationSec: event.data.durationSec };
      case T.PlaybackFinished:
      case T.PlaybackAbandoned:
        return { status: 'idle', rating: state.rating };
      case T.VideoRated:
        return { ...state, rating: event.data.rating };
      default:
        return assertNever(event, 'viewing event');
    }
  },
};

function checkPosition(positionSec: number, durationSec: number): void {
  if (!Number.isFinite(durationSec) || durationSec <= 0 || durationSec > 86_400) throw InputInvalid.because('durationSec', 'must be a number of seconds in (0, 86400]');
  if (!Number.isFinite(positionSec) || positionSec < 0 || positionSec > durationSec) throw InputInvalid.because('positionSec', `must be a number of seconds in [0, durationSec = ${durationSec}]`);
}
