import { defineProjection } from '@streamfold/projections';
import { matchCell } from '../domain/geo';
import { DriverEvent, TaxiEventType as T, TaxiPositionReported } from '../domain/taxi.events';
import { TaxiTopic } from '../taxi.topics';

/**
 * Last known position of every driver, indexed by resolution-9 cell, and whether a ride holds
 * them: what matching searches. Positions keep the newest by event time (a late fix never moves
 * a driver back); availability keeps the highest stream version of the driver's stream (its
 * events and the positions travel on different topics, in no common order). The read model may
 * lag: the claim on the driver's stream, not this table, decides who gets a driver.
 */
export const driverLocationsProjection = defineProjection<TaxiPositionReported | DriverEvent>({
  name: 'taxi.driver_locations',
  topics: [TaxiTopic.taxiPosition, TaxiTopic.drivers],
  tables: ['taxi_driver_locations'],
  handles: [T.TaxiPositionReported, T.DriverClaimed, T.DriverReleased],

  async setup({ sql, table }) {
    const t = table('taxi_driver_locations');
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${t} (
        driver_id  text PRIMARY KEY,
        lat        double precision,
        lng        double precision,
        cell       text,
        at         timestamptz,
        ride_id    text,
        availability_version integer NOT NULL DEFAULT 0
      )`);
    await sql.query(`CREATE INDEX IF NOT EXISTS ${t}_cell ON ${t} (cell, at) WHERE ride_id IS NULL`);
  },

  async apply(deliveries, { sql, table }) {
    const t = table('taxi_driver_locations');
    const fixes = new Map<string, { lat: number; lng: number; at: string }>();
    const availability = new Map<string, { rideId: string | null; version: number }>();
    for (const { envelope: e } of deliveries) {
      switch (e.type) {
        case T.TaxiPositionReported: {
          const seen = fixes.get(e.data.taxiId);
          if (!seen || e.occurredAt > seen.at) fixes.set(e.data.taxiId, { lat: e.data.lat, lng: e.data.lng, at: e.occurredAt });
          break;
        }
        case T.DriverClaimed:
        case T.DriverReleased: {
          const version = e.streamPosition ?? 0;
          const seen = availability.get(e.data.driverId);
          if (!seen || version > seen.version) availability.set(e.data.driverId, { rideId: e.type === T.DriverClaimed ? e.data.rideId : null, version });
          break;
        }
      }
    }
    if (fixes.size > 0) {
      const ids = [...fixes.keys()];
      const rows = [...fixes.values()];
      await sql.query(
        `INSERT INTO ${t} AS d (driver_id, lat, lng, cell, at)
         SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::text[], $5::timestamptz[])
         ON CONFLICT (driver_id) DO UPDATE SET lat = EXCLUDED.lat, lng = EXCLUDED.lng, cell = EXCLUDED.cell, at = EXCLUDED.at
         WHERE d.at IS NULL OR EXCLUDED.at > d.at`,
        [ids, rows.map((r) => r.lat), rows.map((r) => r.lng), rows.map((r) => matchCell(r)), rows.map((r) => r.at)],
      );
    }
    if (availability.size > 0) {
      const ids = [...availability.keys()];
      const rows = [...availability.values()];
      await sql.query(
        `INSERT INTO ${t} AS d (driver_id, ride_id, availability_version)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[])
         ON CONFLICT (driver_id) DO UPDATE SET ride_id = EXCLUDED.ride_id, availability_version = EXCLUDED.availability_version
         WHERE EXCLUDED.availability_version > d.availability_version`,
        [ids, rows.map((r) => r.rideId), rows.map((r) => r.version)],
      );
    }
  },
});

/** Free drivers with a fix in the given cells since a time (the matcher's lookup). */
export const DRIVERS_IN_CELLS_QUERY = `
  SELECT driver_id, lat, lng, at FROM taxi_driver_locations
  WHERE cell = ANY($1::text[]) AND at >= to_timestamp($2 / 1000.0) AND ride_id IS NULL`;
