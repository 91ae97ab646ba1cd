import { Logger } from '@nestjs/common';
import { Database } from '@streamfold/runtime';
import { Client } from 'pg';
import { Observable, Subject } from 'rxjs';

/** One update for the watchers of `key`. */
export type LiveUpdate<T> = readonly [key: string, value: T];

/** How a LiveChannel turns a read model's signals into updates per key. */
export interface LiveChannelSource<T> {
  /** Names the channel in log lines. */
  name: string;
  /**
   * The PostgreSQL NOTIFY channel the read model signals on. The projection must NOTIFY inside
   * its batch transaction, so a listener hears only committed changes.
   */
  channel: string;
  /**
   * The updates one NOTIFY payload carries. `watched` says whether a key has watchers now, so an
   * implementation that reads rows can read only those. Payloads are handled one at a time, in
   * the order they arrived, so updates of one key never overtake each other.
   */
  fromNotification(payload: string, watched: (key: string) => boolean): LiveUpdate<T>[] | Promise<LiveUpdate<T>[]>;
  /**
   * Embedded PGlite does not route NOTIFY between connections: there the channel polls instead.
   * `start` runs once, when polling begins (e.g. to remember "new from now on"); `read` returns
   * the updates for the keys watched at that moment.
   */
  polling: {
    /** @default 200 */
    intervalMs?: number;
    start?(): void;
    read(keys: string[]): Promise<LiveUpdate<T>[]>;
  };
}

/**
 * A live fan-out from a read model to many open streams (SSE, GraphQL subscriptions) in one
 * process: one LISTEN connection (or one poller on the embedded database) however many streams
 * are open, and per key a subject shared by that key's watchers. Delivery is best effort and
 * from now on: a stream that needs the current state reads it after `ready()`, and a dropped
 * listener connection is re-opened on the next watch (updates in between are missed).
 */
export class LiveChannel<T> {
  private readonly log: Logger;
  private readonly subjects = new Map<string, { subject: Subject<T>; watchers: number }>();
  private readonly anyChange = new Subject<void>();
  private listener: Promise<Client> | null = null;
  private poller: NodeJS.Timeout | null = null;
  /** Notifications are handled in arrival order, one at a time (see fromNotification). */
  private handling: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly db: Database, private readonly source: LiveChannelSource<T>) {
    this.log = new Logger(source.name);
  }

  /**
   * Updates of `key` from the moment of subscription. Subscribing also starts listening; updates
   * that commit before `ready()` resolves may be missed.
   */
  watch(key: string): Observable<T> {
    return new Observable<T>((subscriber) => {
      const entry = this.subjects.get(key) ?? { subject: new Subject<T>(), watchers: 0 };
      entry.watchers++;
      this.subjects.set(key, entry);
      const subscription = entry.subject.subscribe(subscriber);
      void this.ready().catch((error) => this.log.warn(`listening for ${key}: ${(error as Error).message}`));
      return () => {
        subscription.unsubscribe();
        if (--entry.watchers === 0 && this.subjects.get(key) === entry) this.subjects.delete(key);
      };
    });
  }

  /** Whether anyone watches `key` now. */
  watching(key: string): boolean {
    return this.subjects.has(key);
  }

  /** A tick after each notification (with LISTEN: any key; when polling: a poll that found updates). */
  changes(): Observable<void> {
    void this.ready().catch((error) => this.log.warn(`listening: ${(error as Error).message}`));
    return this.anyChange.asObservable();
  }

  /** Resolves once changes committed from now on will be heard (LISTEN issued, or the poller running). */
  async ready(): Promise<void> {
    if (this.closed) throw new Error(`live channel ${this.source.name} is closed`);
    if (this.db.embedded) return this.startPolling();
    await this.listen();
  }

  /** Completes every watcher's stream and releases the connection or the poller. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    for (const { subject } of this.subjects.values()) subject.complete();
    this.subjects.clear();
    this.anyChange.complete();
    const client = await this.listener?.catch(() => null);
    await client?.end().catch(() => undefined);
  }

  private publish(updates: readonly LiveUpdate<T>[]): void {
    for (const [key, value] of updates) this.subjects.get(key)?.subject.next(value);
  }

  private listen(): Promise<Client> {
    this.listener ??= (async () => {
      const client = new Client({ connectionString: this.db.url });
      client.on('error', (error) => {
        this.log.warn(`listener lost its connection: ${error.message}; reconnecting on next watch`);
        this.listener = null;
      });
      await client.connect();
      client.on('notification', (n) => {
        if (n.channel !== this.source.channel || !n.payload) return;
        const payload = n.payload;
        this.handling = this.handling
          .then(async () => {
            this.publish(await this.source.fromNotification(payload, (key) => this.subjects.has(key)));
            this.anyChange.next();
          })
          .catch((error) => this.log.warn(`handling a notification: ${(error as Error).message}`));
      });
      await client.query(`LISTEN ${quoteIdentifier(this.source.channel)}`);
      return client;
    })();
    this.listener.catch(() => (this.listener = null));
    return this.listener;
  }

  private startPolling(): void {
    if (this.poller) return;
    this.source.polling.start?.();
    let busy = false;
    this.poller = setInterval(async () => {
      const keys = [...this.subjects.keys()];
      if (keys.length === 0 || busy) return;
      busy = true;
      try {
        const updates = await this.source.polling.read(keys);
        this.publish(updates);
        if (updates.length > 0) this.anyChange.next();
      } catch (error) {
        this.log.warn(`polling: ${(error as Error).message}`);
      } finally {
        busy = false;
      }
    }, this.source.polling.intervalMs ?? 200);
    this.poller.unref();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A LiveChannel whose notifications only name what changed (watchers read it again themselves). */
export interface LiveSignalsSource {
  /** Names the channel in log lines. */
  name: string;
  /** The PostgreSQL NOTIFY channel, signalled inside the read model's batch transaction. */
  channel: string;
  /** The keys one payload names. */
  keys(payload: string): string[];
  /** On embedded PGlite, every watched key is signalled this often instead. @default 300 */
  pollMs?: number;
}

/**
 * Change signals per key: `watch(key)` ticks after each committed change of `key`, and the
 * watcher re-reads its view. For read models whose rows are too large or too many for a NOTIFY
 * payload (profiles, recommendations, rides).
 */
export function liveSignals(db: Database, source: LiveSignalsSource): LiveChannel<true> {
  return new LiveChannel<true>(db, {
    name: source.name,
    channel: source.channel,
    fromNotification: (payload) => source.keys(payload).map((key) => [key, true] as const),
    polling: { intervalMs: source.pollMs ?? 300, read: async (keys) => keys.map((key) => [key, true] as const) },
  });
}
