import { Injectable, MessageEvent, OnApplicationShutdown } from '@nestjs/common';
import { LiveChannel } from '@streamfold/nestjs';
import { Database } from '@streamfold/runtime';
import { map, Observable } from 'rxjs';
import { ALERT_COLUMNS, AlertView, toAlertView } from '../application/bank.queries';
import { ALERTS_CHANNEL } from '../read-models/alerts.projection';

/**
 * Live alerts per user for server-sent events. The alerts projection NOTIFYs (user, alert id)
 * inside its transaction, so a listener hears only committed alerts; the shared LiveChannel fans
 * them out to the open streams, and each stream gets only its own user's alerts.
 */
@Injectable()
export class LiveAlertsService implements OnApplicationShutdown {
  private readonly channel: LiveChannel<AlertView>;
  /** Embedded only: alerts detected after this time are new. */
  private polledUpTo = new Date();

  constructor(private readonly db: Database) {
    this.channel = new LiveChannel<AlertView>(db, {
      name: 'LiveAlerts',
      channel: ALERTS_CHANNEL,
      // The payload names (user, alert id) only (NOTIFY's 8000-byte limit): read the watched users' rows.
      fromNotification: async (payload, watched) => {
        const ids = (JSON.parse(payload) as Array<[string, string]>).filter(([userId]) => watched(userId)).map(([, id]) => id);
        if (ids.length === 0) return [];
        const { rows } = await this.db.query(`SELECT user_id, ${ALERT_COLUMNS} FROM bank_alerts WHERE alert_id = ANY($1)`, [ids]);
        return rows.map((r) => [r.user_id, toAlertView(r)] as const);
      },
      polling: {
        start: () => (this.polledUpTo = new Date()),
        read: async (users) => {
          const { rows } = await this.db.query(
            `SELECT user_id, ${ALERT_COLUMNS} FROM bank_alerts WHERE user_id = ANY($1) AND detected_at > $2 ORDER BY detected_at`,
            [users, this.polledUpTo],
          );
          for (const r of rows) if (r.detected_at > this.polledUpTo) this.polledUpTo = r.detected_at;
          return rows.map((r) => [r.user_id, toAlertView(r)] as const);
        },
      },
    });
  }

  /** Alerts of `userId` from now on (GET /bank/alerts lists the earlier ones): `ready` once listening, then one `alert` each. */
  watch(userId: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const subscription = this.alerts(userId)
        .pipe(map((alert): MessageEvent => ({ type: 'alert', id: alert.alertId, data: alert })))
        .subscribe(subscriber);
      this.channel.ready().then(
        () => subscriber.next({ type: 'ready', data: { userId } }),
        () => undefined, // logged by the channel; the stream stays open and silent, as before
      );
      return () => subscription.unsubscribe();
    });
  }

  /** New alerts of `userId` as they commit, for any transport (SSE above, GraphQL subscriptions). */
  alerts(userId: string): Observable<AlertView> {
    return this.channel.watch(userId);
  }

  /** Whether someone watches `userId`'s alerts and the channel hears commits: a test waits for it before causing an alert. */
  async listening(userId: string): Promise<boolean> {
    if (!this.channel.watching(userId)) return false;
    await this.channel.ready();
    return true;
  }

  onApplicationShutdown(): Promise<void> {
    return this.channel.close();
  }
}
