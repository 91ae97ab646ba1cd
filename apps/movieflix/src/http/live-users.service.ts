import { Injectable, Logger, MessageEvent, OnApplicationShutdown } from '@nestjs/common';
import { Database } from '@streamfold/runtime';
import { Client } from 'pg';
import { Observable, Subject } from 'rxjs';
import { PROFILE_CHANNEL } from '../read-models/profile.projection';
import { RECOMMENDATIONS_CHANNEL } from '../read-models/recommendations.projection';

const CHANNELS = [PROFILE_CHANNEL, RECOMMENDATIONS_CHANNEL];

/**
 * Live push of per-user read models over SSE. Projections NOTIFY the user ids a batch changed,
 * inside their transaction, so listeners hear only committed changes; one LISTEN connection per
 * process fans out to every open stream, which re-reads its view and sends it when it differs.
 */
@Injectable()
export class LiveUsersService implements OnApplicationShutdown {
  private readonly log = new Logger('MovieflixLive');
  private readonly subjects = new Map<string, Subject<void>>();
  private listener: Promise<Client> | null = null;
  private poller: NodeJS.Timeout | null = null;

  constructor(private readonly db: Database) {}

  /** The current view first, then every change of it, as `type` events. */
  watch<T>(channel: string, userId: string, type: string, load: () => Promise<T>): Observable<MessageEvent> {
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
      const key = `${channel}:${userId}`;
      const subject = this.subjects.get(key) ?? new Subject<void>();
      this.subjects.set(key, subject);
      const subscription = subject.subscribe(() => void push());
      void this.listen().then(push, (error) => this.log.warn(`listening: ${(error as Error).message}`));
      return () => {
        subscription.unsubscribe();
        if (!subject.observed) this.subjects.delete(key);
      };
    });
  }

  private listen(): Promise<unknown> {
    // Embedded PGlite does not route NOTIFY between connections: re-read the watched views instead.
    if (this.db.embedded) return Promise.resolve(this.poll());
    this.listener ??= (async () => {
      const client = new Client({ connectionString: this.db.url });
      client.on('error', (error) => {
        this.log.warn(`listener lost its connection: ${error.message}; reconnecting on next watch`);
        this.listener = null;
      });
      await client.connect();
      client.on('notification', (n) => {
        if (!n.payload || !CHANNELS.includes(n.channel)) return;
        for (const userId of JSON.parse(n.payload) as string[]) this.subjects.get(`${n.channel}:${userId}`)?.next();
      });
      for (const channel of CHANNELS) await client.query(`LISTEN ${channel}`);
      return client;
    })();
    this.listener.catch(() => (this.listener = null));
    return this.listener;
  }

  private poll(): void {
    this.poller ??= setInterval(() => this.subjects.forEach((s) => s.next()), 500);
    this.poller.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    for (const subject of this.subjects.values()) subject.complete();
    const client = await this.listener?.catch(() => null);
    await client?.end().catch(() => undefined);
  }
}
