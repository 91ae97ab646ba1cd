import { Injectable, Logger, MessageEvent, OnApplicationShutdown } from '@nestjs/common';
import { LiveChannel, liveSignals } from '@streamfold/nestjs';
import { Database } from '@streamfold/runtime';
import { Observable } from 'rxjs';
import { PROFILE_CHANNEL } from '../read-models/profile.projection';
import { RECOMMENDATIONS_CHANNEL } from '../read-models/recommendations.projection';

/**
 * Live push of per-user read models over SSE and GraphQL. Projections NOTIFY the user ids a batch
 * changed, inside their transaction, so listeners hear only committed changes; one shared signal
 * channel per read model fans out to every open stream, which re-reads its view and sends it when
 * it differs.
 */
@Injectable()
export class LiveUsersService implements OnApplicationShutdown {
  private readonly log = new Logger('MovieflixLive');
  private readonly channels: Map<string, LiveChannel<true>>;

  constructor(db: Database) {
    this.channels = new Map(
      [PROFILE_CHANNEL, RECOMMENDATIONS_CHANNEL].map((channel) => [
        channel,
        liveSignals(db, { name: 'MovieflixLive', channel, keys: (payload) => JSON.parse(payload) as string[], pollMs: 500 }),
      ]),
    );
  }

  /** The current view first, then every change of it, as `type` events. */
  watch<T>(channel: string, userId: string, type: string, load: () => Promise<T>): Observable<MessageEvent> {
    const signals = this.channels.get(channel);
    if (!signals) throw new Error(`no live channel ${channel}`);
    return new Observable<MessageEvent>((subscriber) => {
      let last = '';
      const push = () =>
        load()
          .then((view) => {
            const text = JSON.stringify(view);
            if (text !== last) subscriber.next({ type, data: view as object });
            last = text;
          })
          .catch((error) => this.log.warn(`live ${type} of ${userId}: ${(error as Error).message}`));
      const subscription = signals.watch(userId).subscribe(() => void push());
      void signals.ready().then(push, (error) => this.log.warn(`listening: ${(error as Error).message}`));
      return () => subscription.unsubscribe();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.channels.values()].map((c) => c.close()));
  }
}
