import { defineProjection } from '@streamfold/projections';
import { Fix } from '../domain/fare';
import { TaxiEventType as T, TaxiPositionReported } from '../domain/taxi.events';
import { TaxiTopic } from '../taxi.topics';
import type { Queryable } from './queryable';

/**
 * Every position of every taxi, kept in PostgreSQL beyond the topic's 1-hour retention: what
 * fares are computed from. One row per (taxi, event time): a fix delivered twice by the phone is
 * stored once (the first one wins), whatever order fixes arrive in. The lake sink keeps them too.
 */
export const positionHistoryProjection = defineProjection<TaxiPositionReported>({
  name: 'taxi.position_history',
  topics: [TaxiTopic.taxiPosition],
  tables: ['taxi_position_history'],
  handles: [T.TaxiPositionReported],

  async setup({ sql, table }) {
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${table('taxi_position_history')} (
        taxi_id  text NOT NULL,
        at       timestamptz NOT NULL,
        lat      double precision NOT NULL,
        lng      double precision NOT NULL,
        PRIMARY KEY (taxi_id, at)
      )`);
  },

  async apply(deliveries, { sql, table }) {
    if (deliveries.length === 0) return;
    const e = deliveries.map((d) => d.envelope);
    await sql.query(
      `INSERT INTO ${table('taxi_position_history')} (taxi_id, at, lat, lng)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[])
       ON CONFLICT (taxi_id, at) DO NOTHING`,
      [e.map((x) => x.data.taxiId), e.map((x) => x.occurredAt), e.map((x) => x.data.lat), e.map((x) => x.data.lng)],
    );
  },
});

/** A taxi's stored fixes in [fromMs, toMs] of event time. */
export async function storedFixes(sql: Queryable, taxiId: string, fromMs: number, toMs: number): Promise<Fix[]> {
  const { rows } = await sql.query(
    `SELECT lat, lng, (extract(epoch FROM at) * 1000)::float8 AS at_ms FROM taxi_position_history
     WHERE taxi_id = $1 AND at BETWEEN to_timestamp($2 / 1000.0) AND to_timestamp($3 / 1000.0) ORDER BY at`,
    [taxiId, fromMs, toMs],
  );
  return rows.map((r) => ({ lat: r.lat, lng: r.lng, atMs: Math.round(r.at_ms) }));
}

/** Event time of the newest stored fix of a taxi, or null. */
export async function newestFixMs(sql: Queryable, taxiId: string): Promise<number | null> {
  const { rows } = await sql.query(`SELECT (extract(epoch FROM max(at)) * 1000)::float8 AS at_ms FROM taxi_position_history WHERE taxi_id = $1`, [taxiId]);
  return rows[0]?.at_ms == null ? null : Math.round(rows[0].at_ms);
}
