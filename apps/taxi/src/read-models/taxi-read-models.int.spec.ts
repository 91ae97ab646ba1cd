import { Sql } from '@streamfold/runtime';
import { deliveries, DeliveryInput, pgliteSql, projectionSpec, startPglite } from '@streamfold/testing';
import type { PgliteWorker } from '@streamfold/testing';
import { TaxiEventType as T } from '../domain/taxi.events';
import { TaxiTopic } from '../taxi.topics';
import { driverLocationsProjection } from './driver-locations.projection';
import { positionHistoryProjection } from './position-history.projection';
import { SURGE_AT_QUERY, surgeProjection } from './surge.projection';

let db: PgliteWorker;
let sql: Sql;
beforeAll(async () => {
  db = await startPglite();
  sql = pgliteSql(db);
}, 30_000);
afterAll(() => db?.close());

const REGION = '871fb4662ffffff';
const surge = (tenths: number, at: string): DeliveryInput => ({
  stream: `taxi-surge-${REGION}`,
  topic: TaxiTopic.surge,
  key: REGION,
  at,
  event: { type: T.SurgeChanged, data: { region: REGION, surgeTenths: tenths, previousTenths: 10, demand: 1, supply: 1, windowEndMs: 0 } },
});
const fix = (taxiId: string, at: string, lat: number, lng = 2.35): DeliveryInput => ({
  stream: taxiId,
  topic: TaxiTopic.taxiPosition,
  telemetry: true,
  at,
  event: { type: T.TaxiPositionReported, data: { taxiId, lat, lng, available: true } },
});

describe('GetTaxi read models (exactly once, on PGlite)', () => {
  it('surge history answers the multiplier in force at an event time, whatever order changes arrive in', async () => {
    // Arrival order is not event-time order: the 18:10 change arrives first.
    const given = deliveries([surge(20, '18:10'), surge(15, '18:00'), surge(12, '18:20')]);
    const spec = projectionSpec(surgeProjection, { sql }).given(given);
    const at = (hhmm: string) => Date.parse(`2025-01-01T${hhmm}:00.000Z`);
    await spec.expectQuery(SURGE_AT_QUERY, [], [REGION, at('17:59')]);
    await spec.expectQuery(SURGE_AT_QUERY, [{ surge_tenths: 15 }], [REGION, at('18:05')]);
    await spec.expectQuery(SURGE_AT_QUERY, [{ surge_tenths: 20 }], [REGION, at('18:10')]);
    await spec.expectQuery(SURGE_AT_QUERY, [{ surge_tenths: 12 }], [REGION, at('19:00')]);
  });

  it('position history keeps one row per taxi and event time, in any arrival order', async () => {
    const given = deliveries([fix('t1', '12:00:02', 48.2), fix('t1', '12:00:01', 48.1), fix('t1', '12:00:02', 48.2), fix('t2', '12:00:01', 47)]);
    await projectionSpec(positionHistoryProjection, { sql }).given(given).expectQuery(
      `SELECT taxi_id, lat FROM taxi_position_history ORDER BY taxi_id, at`,
      [{ taxi_id: 't1', lat: 48.1 }, { taxi_id: 't1', lat: 48.2 }, { taxi_id: 't2', lat: 47 }],
    );
  });

  it('driver locations keep the newest fix by event time and the latest availability by stream version', async () => {
    const claimed: DeliveryInput = { stream: 'taxi-driver-t1', topic: TaxiTopic.drivers, event: { type: T.DriverClaimed, data: { driverId: 't1', rideId: 'r1' } } };
    const released: DeliveryInput = { stream: 'taxi-driver-t1', topic: TaxiTopic.drivers, event: { type: T.DriverReleased, data: { driverId: 't1', rideId: 'r1' } } };
    const given = deliveries([fix('t1', '12:00:05', 48.5), claimed, fix('t1', '12:00:01', 48.1), released, fix('t2', '12:00:03', 47)]);
    await projectionSpec(driverLocationsProjection, { sql }).given(given).expectQuery(
      `SELECT driver_id, lat, ride_id FROM taxi_driver_locations ORDER BY driver_id`,
      [{ driver_id: 't1', lat: 48.5, ride_id: null }, { driver_id: 't2', lat: 47, ride_id: null }],
    );
  });
});
