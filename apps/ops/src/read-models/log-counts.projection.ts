import { assertNever } from '@streamfold/core';
import { APP_LOGS_TOPIC } from '@streamfold/eventstore';
import { defineProjection } from '@streamfold/projections';
import { minuteOf } from '../domain/error-rate';
import { LogEvent } from '../domain/ops.events';

/**
 * Log lines per service, level and minute of event time, and the lines each service reported
 * dropped per minute. One set-based upsert per table per batch; the runner commits it with the
 * checkpoint, so each line counts once. Counts only ever add, so any delivery order folds to the
 * same table (replay equality).
 */
export const logCountsProjection = defineProjection<LogEvent>({
  name: 'ops.log_counts',
  topics: [APP_LOGS_TOPIC.name],
  tables: ['ops_log_counts', 'ops_log_drops'],
  handles: ['streamfold.LogRecorded', 'streamfold.LogsDropped'],

  async setup({ sql, table }) {
    await sql.query(`CREATE TABLE IF NOT EXISTS ${table('ops_log_counts')} (
      service text NOT NULL, level text NOT NULL, minute timestamptz NOT NULL, lines bigint NOT NULL,
      PRIMARY KEY (service, minute, level))`);
    await sql.query(`CREATE TABLE IF NOT EXISTS ${table('ops_log_drops')} (
      service text NOT NULL, minute timestamptz NOT NULL, dropped bigint NOT NULL,
      PRIMARY KEY (service, minute))`);
  },

  async apply(deliveries, { sql, table }) {
    const lines = new Map<string, { service: string; level: string; minute: number; n: number }>();
    const drops = new Map<string, { service: string; minute: number; n: number }>();
    for (const { envelope } of deliveries) {
      const minute = minuteOf(Date.parse(envelope.occurredAt));
      switch (envelope.type) {
        case 'streamfold.LogRecorded': {
          const { service, level } = envelope.data;
          const key = `${service}\u0000${level}\u0000${minute}`;
          const row = lines.get(key) ?? { service, level, minute, n: 0 };
          row.n++;
          lines.set(key, row);
          break;
        }
        case 'streamfold.LogsDropped': {
          const { service, count } = envelope.data;
          const key = `${service}\u0000${minute}`;
          const row = drops.get(key) ?? { service, minute, n: 0 };
          row.n += count;
          drops.set(key, row);
          break;
        }
        default:
          assertNever(envelope);
      }
    }
    if (lines.size > 0) {
      const rows = [...lines.values()];
      await sql.query(
        `INSERT INTO ${table('ops_log_counts')} AS c (service, level, minute, lines)
         SELECT s, l, to_timestamp(m / 1000.0), n FROM unnest($1::text[], $2::text[], $3::float8[], $4::bigint[]) AS u(s, l, m, n)
         ON CONFLICT (service, minute, level) DO UPDATE SET lines = c.lines + EXCLUDED.lines`,
        [rows.map((r) => r.service), rows.map((r) => r.level), rows.map((r) => r.minute), rows.map((r) => r.n)],
      );
    }
    if (drops.size > 0) {
      const rows = [...drops.values()];
      await sql.query(
        `INSERT INTO ${table('ops_log_drops')} AS d (service, minute, dropped)
         SELECT s, to_timestamp(m / 1000.0), n FROM unnest($1::text[], $2::float8[], $3::bigint[]) AS u(s, m, n)
         ON CONFLICT (service, minute) DO UPDATE SET dropped = d.dropped + EXCLUDED.dropped`,
        [rows.map((r) => r.service), rows.map((r) => r.minute), rows.map((r) => r.n)],
      );
    }
  },
});
