import { assertNever } from '@streamfold/core';
import { defineProjection } from '@streamfold/projections';
import { RideEvent, TaxiEventType as T } from '../domain/taxi.events';
import { TaxiTopic } from '../taxi.topics';

export const RIDES_CHANNEL = 'taxi_rides';

const RIDE_TYPES = [T.RideRequested, T.DriverAssigned, T.NoDriverAvailable, T.RideStarted, T.RideCompleted, T.RideCancelled, T.FareCalculated, T.FareCorrected] as const;

/**
 * One row per ride, for the rider's and the driver's views and live status. A ride's events share
 * one key, so they arrive in stream order; each update is guarded by the stream version anyway so
 * a redelivered older event cannot move a ride back. NOTIFY (transactional) tells live streams.
 */
export const ridesProjection = defineProjection<RideEvent>({
  name: 'taxi.rides',
  topics: [TaxiTopic.rides],
  tables: ['taxi_rides_view'],
  handles: RIDE_TYPES,

  async setup({ sql, table }) {
    const t = table('taxi_rides_view');
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${t} (
        ride_id         text PRIMARY KEY,
        rider_id        text NOT NULL,
        driver_id       text,
        status          text NOT NULL,
        pickup          jsonb NOT NULL,
        dropoff         jsonb NOT NULL,
        region          text NOT NULL,
        surge_tenths    integer NOT NULL,
        estimate_minor  integer NOT NULL,
        requested_at    timestamptz NOT NULL,
        started_at      timestamptz,
        completed_at    timestamptz,
        distance_m      double precision,
        fare_minor      integer,
        fare_corrections integer NOT NULL DEFAULT 0,
        version         integer NOT NULL
      )`);
    await sql.query(`CREATE INDEX IF NOT EXISTS ${t}_rider ON ${t} (rider_id, requested_at DESC)`);
    await sql.query(`CREATE INDEX IF NOT EXISTS ${t}_driver ON ${t} (driver_id, requested_at DESC)`);
    await sql.query(`CREATE INDEX IF NOT EXISTS ${t}_open ON ${t} (status) WHERE status IN ('requested', 'completed')`);
  },

  async apply(deliveries, { sql, table }) {
    const t = table('taxi_rides_view');
    const changed = new Set<string>();
    for (const { envelope: e } of deliveries) {
      const v = e.streamPosition ?? 0;
      const id = e.data.rideId;
      const guard = `WHERE ride_id = $1 AND version < $2`;
      switch (e.type) {
        case T.RideRequested: {
          const d = e.data;
          await sql.query(
            `INSERT INTO ${t} (ride_id, rider_id, status, pickup, dropoff, region, surge_tenths, estimate_minor, requested_at, version)
             VALUES ($1, $2, 'requested', $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (ride_id) DO NOTHING`,
            [id, d.riderId, JSON.stringify(d.pickup), JSON.stringify(d.dropoff), d.region, d.surgeTenths, d.estimateMinor, e.occurredAt, v],
          );
          break;
        }
        case T.DriverAssigned:
          await sql.query(`UPDATE ${t} SET status = 'assigned', driver_id = $3, version = $2 ${guard}`, [id, v, e.data.driverId]);
          break;
        case T.NoDriverAvailable:
          await sql.query(`UPDATE ${t} SET status = 'unmatched', version = $2 ${guard}`, [id, v]);
          break;
        case T.RideStarted:
          await sql.query(`UPDATE ${t} SET status = 'started', started_at = $3, version = $2 ${guard}`, [id, v, e.occurredAt]);
          break;
        case T.RideCompleted:
          await sql.query(`UPDATE ${t} SET status = 'completed', completed_at = $3, version = $2 ${guard}`, [id, v, e.occurredAt]);
          break;
        case T.RideCancelled:
          await sql.query(`UPDATE ${t} SET status = 'cancelled', version = $2 ${guard}`, [id, v]);
          break;
        case T.FareCalculated:
        case T.FareCorrected:
          await sql.query(
            `UPDATE ${t} SET fare_minor = $3, distance_m = $4, fare_corrections = fare_corrections + $5, version = $2 ${guard}`,
            [id, v, e.data.fareMinor, e.data.distanceM, e.type === T.FareCorrected ? 1 : 0],
          );
          break;
        default:
          assertNever(e, 'ride event');
      }
      changed.add(id);
    }
    if (changed.size > 0) {
      const ids = [...changed];
      for (let i = 0; i < ids.length; i += 100) await sql.query('SELECT pg_notify($1, $2)', [RIDES_CHANNEL, JSON.stringify(ids.slice(i, i + 100))]);
    }
  },
});

/** The columns every ride view reads (through the reader view). */
export const RIDE_COLUMNS = `ride_id, rider_id, driver_id, status, pickup, dropoff, region, surge_tenths, estimate_minor,
  requested_at, started_at, completed_at, distance_m, fare_minor, fare_corrections`;
