import { defineProjection } from '@streamfold/projections';
import { SurgeChanged, TaxiEventType as T } from '../domain/taxi.events';
import { TaxiTopic } from '../taxi.topics';
import type { Queryable } from './queryable';

export const SURGE_CHANNEL = 'taxi_surge';

/**
 * Surge history per region: every multiplier with the event time from which it is in force, a
 * temporal table in SQL. A quote joins a request's event time against it (surgeAt), so a late or
 * replayed request gets the surge that was in force when it was made, not the current one.
 */
export const surgeProjection = defineProjection<SurgeChanged>({
  name: 'taxi.surge',
  topics: [TaxiTopic.surge],
  tables: ['taxi_surge'],
  handles: [T.SurgeChanged],

  async setup({ sql, table }) {
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${table('taxi_surge')} (
        region        text NOT NULL,
        valid_from    timestamptz NOT NULL,
        surge_tenths  integer NOT NULL,
        demand        double precision NOT NULL,
        supply        double precision NOT NULL,
        PRIMARY KEY (region, valid_from)
      )`);
  },

  async apply(deliveries, { sql, table }) {
    if (deliveries.length === 0) return;
    const e = deliveries.map((d) => d.envelope);
    // Same (region, event time) again is the same change: the later one replaces it, as in temporalTable.upsert.
    await sql.query(
      `INSERT INTO ${table('taxi_surge')} (region, valid_from, surge_tenths, demand, supply)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::float8[], $5::float8[])
       ON CONFLICT (region, valid_from) DO UPDATE SET surge_tenths = EXCLUDED.surge_tenths, demand = EXCLUDED.demand, supply = EXCLUDED.supply`,
      [e.map((x) => x.data.region), e.map((x) => x.occurredAt), e.map((x) => x.data.surgeTenths), e.map((x) => x.data.demand), e.map((x) => x.data.supply)],
    );
    // NOTIFY is transactional (heard once committed) and capped at 8000 bytes: 200 changes per payload.
    const chunks: string[] = [];
    for (let i = 0; i < e.length; i += 200) chunks.push(JSON.stringify(e.slice(i, i + 200).map((x) => [x.data.region, x.data.surgeTenths])));
    await sql.query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [SURGE_CHANNEL, chunks]);
  },
});

/** The temporal join: the latest change at or before the event time ($2, epoch ms) in the region ($1). */
export const SURGE_AT_QUERY = `SELECT surge_tenths FROM taxi_surge WHERE region = $1 AND valid_from <= to_timestamp($2 / 1000.0) ORDER BY valid_from DESC LIMIT 1`;

/** The multiplier in force in a region at an event time (10 = ×1.0 before any change). */
export async function surgeAt(sql: Queryable, region: string, atMs: number): Promise<number> {
  const { rows } = await sql.query(SURGE_AT_QUERY, [region, atMs]);
  return rows[0]?.surge_tenths ?? 10;
}
