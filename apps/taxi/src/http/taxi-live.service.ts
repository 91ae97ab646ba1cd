import { Injectable, MessageEvent, OnApplicationShutdown } from '@nestjs/common';
import { LiveChannel, liveSignals } from '@streamfold/nestjs';
import { Database } from '@streamfold/runtime';
import { Observable } from 'rxjs';
import { RIDES_CHANNEL } from '../read-models/rides.projection';
import { SURGE_CHANNEL } from '../read-models/surge.projection';

/**
 * Change signals for live streams: the rides and surge projections NOTIFY inside their
 * transactions, so a signal means "committed, read again". One shared signal channel per read
 * model fans out to every open stream (on embedded PGlite, a short poll of the watched keys).
 */
@Injectable()
export class TaxiLiveService implements OnApplicationShutdown {
  private readonly rides: LiveChannel<true>;
  private readonly surges: LiveChannel<true>;

  constructor(db: Database) {
    this.rides = liveSignals(db, { name: 'TaxiLive', channel: RIDES_CHANNEL, keys: (payload) => JSON.parse(payload) as string[] });
    this.surges = liveSignals(db, {
      name: 'TaxiLive',
      channel: SURGE_CHANNEL,
      keys: (payload) => (JSON.parse(payload) as Array<[string, number]>).map(([region]) => region),
    });
  }

  /** Emits `read()`'s value first and again after each signal about `id`, when it changed; `done` ends the stream. */
  watch<T>(kind: 'ride' | 'surge', id: string, read: () => Promise<T>, done: (value: T) => boolean = () => false): Observable<MessageEvent> {
    const signals = kind === 'ride' ? this.rides : this.surges;
    return new Observable<MessageEvent>((subscriber) => {
      let last = '';
      let reading = Promise.resolve();
      const refresh = () => {
        reading = reading.then(async () => {
          const value = await read();
          const text = JSON.stringify(value);
          if (text !== last) subscriber.next({ type: kind, data: value as object });
          last = text;
          if (done(value)) subscriber.complete();
        }).catch((error) => subscriber.error(error));
      };
      const subscription = signals.watch(id).subscribe(refresh);
      void signals.ready().then(refresh, (error) => subscriber.error(error));
      return () => subscription.unsubscribe();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.rides.close(), this.surges.close()]);
  }
}
