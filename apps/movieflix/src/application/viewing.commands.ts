import { Inject } from '@nestjs/common';
import { CommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { Catalog } from '../catalog/catalog';
import { VideoUnknown } from '../domain/movieflix.errors';
import { VideoFacts } from '../domain/movieflix.events';
import { viewingDecider, ViewingCommand, viewingStreamId } from '../domain/viewing.decider';

/** A player started (or resumed) a video on a device. */
export class StartPlayback {
  constructor(readonly userId: string, readonly videoId: string, readonly device: string, readonly positionSec: number, readonly durationSec: number) {}
}
/** A player stopped: finished at ≥ 90 %, abandoned below. */
export class StopPlayback {
  constructor(readonly userId: string, readonly videoId: string, readonly positionSec: number) {}
}
export class RateVideo {
  constructor(readonly userId: string, readonly videoId: string, readonly rating: number) {}
}

type ViewingIntent = StartPlayback | StopPlayback | RateVideo;

/**
 * The three intents of a viewing stream share one path: look the video up (its title and genres
 * travel with the events), decide, append. Unknown videos are a 400 naming `videoId`.
 */
abstract class ViewingHandler<C extends ViewingIntent> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore, private readonly catalog: Catalog) {}

  async execute(intent: C): Promise<void> {
    const video = this.catalog.facts(intent.videoId);
    if (!video) throw VideoUnknown.because('videoId', intent.videoId);
    await executeCommand({
      store: this.store,
      decider: viewingDecider,
      streamId: viewingStreamId(intent.userId, intent.videoId),
      command: toCommand(intent, video),
      context: { actor: intent.userId },
      // Two devices of one viewer may race on a stream; every intent is safe to decide again.
      maxRetries: 3,
    });
  }
}

@CommandHandler(StartPlayback)
export class StartPlaybackHandler extends ViewingHandler<StartPlayback> {}
@CommandHandler(StopPlayback)
export class StopPlaybackHandler extends ViewingHandler<StopPlayback> {}
@CommandHandler(RateVideo)
export class RateVideoHandler extends ViewingHandler<RateVideo> {}

function toCommand(intent: ViewingIntent, video: VideoFacts): ViewingCommand {
  if (intent instanceof StartPlayback) {
    return { type: 'StartPlayback', userId: intent.userId, video, device: intent.device, positionSec: intent.positionSec, durationSec: intent.durationSec };
  }
  if (intent instanceof StopPlayback) return { type: 'StopPlayback', userId: intent.userId, video, positionSec: intent.positionSec };
  return { type: 'RateVideo', userId: intent.userId, video, rating: intent.rating };
}
