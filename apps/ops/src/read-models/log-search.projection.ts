import { APP_LOGS_TOPIC } from '@streamfold/eventstore';
import { defineProjection, ProjectionDefinition } from '@streamfold/projections';
import { LogRecorded } from '../domain/ops.events';

/**
 * The recent log lines, searchable by service, level, time and words (a GIN index on the
 * message's `simple` text vector: exact words, no stemming, which suits identifiers and codes).
 * Retention follows event time, not the wall clock: after each batch, lines older than the newest
 * line seen minus `retentionMs` are deleted. The table therefore ends up holding the lines within
 * `retentionMs` of the newest, however the log was batched, so a rebuild gives the same table.
 */
export function logSearchProjection(retentionMs: number): ProjectionDefinition<LogRecorded> {
  return defineProjection<LogRecorded>({
    name: 'ops.log_search',
    topics: [APP_LOGS_TOPIC.name],
    tables: ['ops_logs', 'ops_logs_watermark'],
    handles: ['streamfold.LogRecorded'],

    async setup({ sql, table }) {
      const t = table('ops_logs');
      await sql.query(`CREATE TABLE IF NOT EXISTS ${t} (
        event_id uuid PRIMARY KEY, service text NOT NULL, instance text NOT NULL, level text NOT NULL,
        at timestamptz NOT NULL, msg text NOT NULL, fields jsonb NOT NULL)`);
      await sql.query(`CREATE INDEX IF NOT EXISTS ${t}_service_at ON ${t} (service, at DESC)`);
      await sql.query(`CREATE INDEX IF NOT EXISTS ${t}_at ON ${t} (at)`);
      await sql.query(`CREATE INDEX IF NOT EXISTS ${t}_text ON ${t} USING gin (to_tsvector('simple', msg))`);
      await sql.query(`CREATE TABLE IF NOT EXISTS ${table('ops_logs_watermark')} (id int PRIMARY KEY CHECK (id = 1), watermark timestamptz NOT NULL)`);
    },

    async apply(deliveries, { sql, table }) {
      if (deliveries.length === 0) return;
      const t = table('ops_logs');
      let newest = 0;
      const cols = { id: [] as string[], service: [] as string[], instance: [] as string[], level: [] as string[], at: [] as string[], msg: [] as string[], fields: [] as string[] };
      for (const { envelope } of deliveries) {
        const d = envelope.data;
        newest = Math.max(newest, Date.parse(envelope.occurredAt));
        cols.id.push(envelope.eventId);
        cols.service.push(d.service);
        cols.instance.push(d.instance);
        cols.level.push(d.level);
        cols.at.push(envelope.occurredAt);
        cols.msg.push(d.msg);
        cols.fields.push(JSON.stringify(d.fields ?? {}));
      }
      // Event ids are unique per line; a line re-sent by a retried produce is stored once.
      await sql.query(
        `INSERT INTO ${t} (event_id, service, instance, level, at, msg, fields)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[])
         ON CONFLICT (event_id) DO NOTHING`,
        [cols.id, cols.service, cols.instance, cols.level, cols.at, cols.msg, cols.fields],
      );
      const { rows } = await sql.query(
        `INSERT INTO ${table('ops_logs_watermark')} AS w (id, watermark) VALUES (1, to_timestamp($1 / 1000.0))
         ON CONFLICT (id) DO UPDATE SET watermark = GREATEST(w.watermark, EXCLUDED.watermark) RETURNING watermark`,
        [newest],
      );
      await sql.query(`DELETE FROM ${t} WHERE at < $1::timestamptz - make_interval(secs => $2 / 1000.0)`, [rows[0].watermark, retentionMs]);
    },
  });
}
