import { Injectable, Logger, MessageEvent, OnApplicationShutdown } from '@nestjs/common';
import { Database } from '@streamfold/runtime';
import { Client } from 'pg';
import { Observable, Subject } from 'rxjs';
import { RIDES_CHANNEL } from '../read-models/rides.projection';
import { SURGE_CHANNEL } from '../read-models/surge.projection';

/**
 * Change signals for live streams: the rides and surge projections NOTIFY inside their
 * transactions, so a signal means "committed, read again". One LISTEN connection per process
 * fans out to every open stream; embedded PGlite routes no NOTIFY between connections, so there
 * every watched stream is re-read on a short poll instead.
 */
@Injectable()
export class TaxiLiveService implements OnApplicationShutdown {
  private readonly log = new Logger('TaxiLive');
  private readonly rides = new Subject<string>();
  private readonly surges = new Subject<string>();
  private listener: Promise<Client> | null = null;
  private readonly poll = new Subject<void>();
  private poller: NodeJS.Timeout | null = null;

  constructor(private readonly db: Database) {}

  /** Emits `read()`'s value first and again after each signal about `id`, when it changed; `done` ends the stream. */
  watch<T>(kind: 'ride' | 'surge', id: string, read: () => Promise<T>, done: (value: T) => boolean = () => false): Observable<MessageEvent> {
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
      const source = kind === 'ride' ? this.rides : this.surges;
      const subs = [source.subscribe((changed) => changed === id && refresh()), this.poll.subscribe(refresh)];
      void this.listen().then(refresh, (error) => subscriber.error(error));
      return () => subs.forEach((s) => s.unsubscribe());
    });
  }

  private listen(): Promise<unknown> {
    if (this.db.embedded) {
      this.poller ??= setInterval(() => this.poll.next(), 300);
      this.poller.unref();
      return Promise.resolve();
    }
    this.listener ??= (async () => {
      const client = new Client({ connectionString: this.db.url });
      client.on('error', (error) => {
        this.log.warn(`listener lost its connection: ${error.message}; reconnecting on next watch`);
        this.listener = null;
      });
      await client.connect();
      client.on('notification', (n) => {
        if (!n.payload) return;
        if (n.channel === RIDES_CHANNEL) for (const id of JSON.parse(n.payload) as string[]) this.rides.next(id);
        if (n.channel === SURGE_CHANNEL) for (const [region] of JSON.parse(n.payload) as Array<[string, number]>) this.surges.next(region);
      });
      await client.query(`LISTEN ${RIDES_CHANNEL}; LISTEN ${SURGE_CHANNEL}`);
      return client;
    })();
    this.listener.catch(() => (this.listener = null));
    return this.listener;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.rides.complete();
    this.surges.complete();
    const client = await this.listener?.catch(() => null);
    await client?.end().catch(() => undefined);
  }
}
