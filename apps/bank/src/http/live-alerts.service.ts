import { Injectable, Logger, MessageEvent, OnApplicationShutdown } from '@nestjs/common';
import { Database } from '@streamfold/runtime';
import { Client } from 'pg';
import { Observable, Subject } from 'rxjs';
import { ALERT_COLUMNS, AlertView, toAlertView } from '../application/bank.queries';
import { ALERTS_CHANNEL } from '../read-models/alerts.projection';

/**
 * Live alerts per user for server-sent events. The alerts projection NOTIFYs (user, alert id)
 * inside its transaction, so a listener hears only committed alerts; one LISTEN connection per
 * process fans out to the open streams, and each stream gets only its own user's alerts.
 */
@Injectable()
export class LiveAlertsService implements OnApplicationShutdown {
  private readonly log = new Logger('LiveAlerts');
  private readonly subjects = new Map<string, { subject: Subject<AlertView>; watchers: number }>();
  private listener: Promise<Client> | null = null;
  private poller: NodeJS.Timeout | null = null;
  /** Embedded only: alerts detected after this time are new. */
  private polledUpTo = new Date();

  constructor(private readonly db: Database) {}

  /** Alerts of `userId` from now on, as SSE events: `ready` once listening, then one `alert` each (GET /bank/alerts lists the earlier ones). */
  watch(userId: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const subscription = this.alerts(userId).subscribe((alert) => subscriber.next({ type: 'alert', id: alert.alertId, data: alert }));
      void this.listen()
        .then(() => subscriber.next({ type: 'ready', data: { userId } }))
        .catch((error) => this.log.warn(`live alerts for ${userId}: ${(error as Error).message}`));
      return () => subscription.unsubscribe();
    });
  }

  /** New alerts of `userId` as they commit, for any transport (SSE above, GraphQL subscriptions). */
  alerts(userId: string): Observable<AlertView> {
    return new Observable<AlertView>((subscriber) => {
      const entry = this.subjects.get(userId) ?? { subject: new Subject<AlertView>(), watchers: 0 };
      entry.watchers++;
      this.subjects.set(userId, entry);
      const subscription = entry.subject.subscribe(subscriber);
      void this.listen().catch((error) => this.log.warn(`live alerts for ${userId}: ${(error as Error).message}`));
      return () => {
        subscription.unsubscribe();
        if (--entry.watchers === 0) this.subjects.delete(userId);
      };
    });
  }

  /** Whether someone watches `userId`'s alerts and the listener hears commits: a test waits for it before causing an alert. */
  async listening(userId: string): Promise<boolean> {
    if (!this.subjects.has(userId)) return false;
    await this.listen();
    return true;
  }

  private async push(alertIds: string[]): Promise<void> {
    if (alertIds.length === 0) return;
    const { rows } = await this.db.query(`SELECT user_id, ${ALERT_COLUMNS} FROM bank_alerts WHERE alert_id = ANY($1)`, [alertIds]);
    for (const r of rows) this.subjects.get(r.user_id)?.subject.next(toAlertView(r));
  }

  /** Embedded PGlite does not route NOTIFY between connections: poll there instead. */
  private listen(): Promise<unknown> {
    if (this.db.embedded) return this.poll();
    this.listener ??= (async () => {
      const client = new Client({ connectionString: this.db.url });
      client.on('error', (error) => {
        this.log.warn(`listener lost its connection: ${error.message}; reconnecting on next watch`);
        this.listener = null;
      });
      await client.connect();
      client.on('notification', (n) => {
        if (n.channel !== ALERTS_CHANNEL || !n.payload) return;
        const mine = (JSON.parse(n.payload) as Array<[string, string]>).filter(([userId]) => this.subjects.has(userId)).map(([, id]) => id);
        this.push(mine).catch((error) => this.log.warn(`reading alerts: ${(error as Error).message}`));
      });
      await client.query(`LISTEN ${ALERTS_CHANNEL}`);
      return client;
    })();
    this.listener.catch(() => (this.listener = null));
    return this.listener;
  }

  private async poll(): Promise<void> {
    if (this.poller) return;
    this.polledUpTo = new Date();
    this.poller = setInterval(async () => {
      const users = [...this.subjects.keys()];
      if (users.length === 0) return;
      try {
        const { rows } = await this.db.query(
          `SELECT user_id, ${ALERT_COLUMNS} FROM bank_alerts WHERE user_id = ANY($1) AND detected_at > $2 ORDER BY detected_at`,
          [users, this.polledUpTo],
        );
        for (const r of rows) {
          if (r.detected_at > this.polledUpTo) this.polledUpTo = r.detected_at;
          this.subjects.get(r.user_id)?.subject.next(toAlertView(r));
        }
      } catch (error) {
        this.log.warn(`polling live alerts: ${(error as Error).message}`);
      }
    }, 200);
    this.poller.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    for (const { subject } of this.subjects.values()) subject.complete();
    const client = await this.listener?.catch(() => null);
    await client?.end().catch(() => undefined);
  }
}
