import { NotFound, RuleViolated, ValidationFailed } from '@streamfold/core';

export const VideoUnknown = {
  because: (field: string, videoId: string) => new ValidationFailed(field, `no video ${JSON.stringify(videoId)} in the catalogue`),
};

export const PlaybackNotStarted = {
  because: (videoId: string) => new RuleViolated('playback_not_started', `no playback of video ${videoId} is in progress`),
};

export const InputInvalid = {
  because: (field: string, reason: string) => new ValidationFailed(field, reason),
};

export const NothingYet = {
  resumeOf: (videoId: string) => new NotFound(`no position recorded for video ${videoId}`),
};
