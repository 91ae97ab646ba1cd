import { defineProjection } from '@streamfold/projections';
import { BankEventType as T, LargeTransactionDetected } from '../domain/bank.events';
import { BankTopic } from '../bank.topics';

/** NOTIFY channel: the projection signals new alerts inside its transaction, so listeners hear only committed ones. */
export const ALERTS_CHANNEL = 'bank_alerts';

/**
 * A user's alerts, for `GET /bank/alerts` and the live stream. Keyed by alert id, so even a
 * replayed log inserts each alert once; `detected_at` is when the alert was folded (the end of
 * the insert → alert latency the bench measures).
 */
export const alertsProjection = defineProjection<LargeTransactionDetected>({
  name: 'bank.alerts',
  topics: [BankTopic.userAlerts],
  tables: ['bank_alerts'],
  handles: [T.LargeTransactionDetected],

  async setup({ sql, table }) {
    const t = table('bank_alerts');
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${t} (
        alert_id        text PRIMARY KEY,
        user_id         text NOT NULL,
        transaction_id  text NOT NULL,
        amount          numeric NOT NULL,
        currency        text NOT NULL,
        threshold       numeric NOT NULL,
        transaction_at  timestamptz NOT NULL,
        detected_at     timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await sql.query(`CREATE INDEX IF NOT EXISTS ${t}_user ON ${t} (user_id, transaction_at DESC)`);
  },

  async apply(deliveries, { sql, table }) {
    const alerts = deliveries.map((d) => d.envelope.data);
    const { rows } = await sql.query(
      `INSERT INTO ${table('bank_alerts')} (alert_id, user_id, transaction_id, amount, currency, threshold, transaction_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::text[], $6::numeric[], $7::timestamptz[])
       ON CONFLICT (alert_id) DO NOTHING
       RETURNING alert_id`,
      [
        alerts.map((a) => a.alertId),
        alerts.map((a) => a.userId),
        alerts.map((a) => a.transactionId),
        alerts.map((a) => a.amount),
        alerts.map((a) => a.currency),
        alerts.map((a) => a.threshold),
        alerts.map((a) => a.transactionAt),
      ],
    );
    const inserted = new Set(rows.map((r) => r.alert_id));
    const fresh = alerts.filter((a) => inserted.has(a.alertId));
    // One NOTIFY per batch (payload limit 8000 bytes: ids only, the listener reads the rows).
    for (let i = 0; i < fresh.length; i += 100) {
      const payload = JSON.stringify(fresh.slice(i, i + 100).map((a) => [a.userId, a.alertId]));
      await sql.query('SELECT pg_notify($1, $2)', [ALERTS_CHANNEL, payload]);
    }
  },
});
