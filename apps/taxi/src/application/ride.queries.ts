import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '@streamfold/runtime';
import { LatLng, surgeRegion } from '../domain/geo';
import { NotYourRide, RideNotFound } from '../domain/taxi.errors';
import { RIDE_COLUMNS } from '../read-models/rides.projection';
import { surgeAt } from '../read-models/surge.projection';

export interface RideView {
  rideId: string;
  riderId: string;
  driverId: string | null;
  status: string;
  pickup: LatLng;
  dropoff: LatLng;
  surge: number;
  estimateMinor: number;
  requestedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  distanceM: number | null;
  fareMinor: number | null;
  fareCorrections: number;
}

const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());

export function toRideView(r: any): RideView {
  return {
    rideId: r.ride_id, riderId: r.rider_id, driverId: r.driver_id, status: r.status, pickup: r.pickup, dropoff: r.dropoff,
    surge: r.surge_tenths / 10, estimateMinor: r.estimate_minor, requestedAt: iso(r.requested_at)!, startedAt: iso(r.started_at),
    completedAt: iso(r.completed_at), distanceM: r.distance_m, fareMinor: r.fare_minor, fareCorrections: r.fare_corrections,
  };
}

export class GetRide {
  constructor(readonly userId: string, readonly rideId: string) {}
}
export class GetMyRides {
  constructor(readonly userId: string, readonly limit: number) {}
}
export class GetSurge {
  constructor(readonly at: LatLng, readonly atMs: number = Date.now()) {}
}

/** A ride, to its rider or its driver only (invariant 9): anyone else gets 403, an unknown id 404. */
@QueryHandler(GetRide)
export class GetRideHandler implements IQueryHandler<GetRide, RideView> {
  constructor(private readonly db: Database) {}

  async execute({ userId, rideId }: GetRide): Promise<RideView> {
    const { rows } = await this.db.query(`SELECT ${RIDE_COLUMNS} FROM taxi_rides_view WHERE ride_id = $1`, [rideId]);
    if (rows.length === 0) throw RideNotFound.because(rideId);
    if (rows[0].rider_id !== userId && rows[0].driver_id !== userId) throw NotYourRide.asRider(rideId);
    return toRideView(rows[0]);
  }
}

/** The caller's rides, as rider or driver, newest first. */
@QueryHandler(GetMyRides)
export class GetMyRidesHandler implements IQueryHandler<GetMyRides, RideView[]> {
  constructor(private readonly db: Database) {}

  async execute({ userId, limit }: GetMyRides): Promise<RideView[]> {
    const { rows } = await this.db.query(
      `SELECT ${RIDE_COLUMNS} FROM taxi_rides_view WHERE rider_id = $1 OR driver_id = $1 ORDER BY requested_at DESC, ride_id LIMIT $2`,
      [userId, limit],
    );
    return rows.map(toRideView);
  }
}

export interface SurgeView {
  region: string;
  surge: number;
  at: string;
}

/** The multiplier in force in the region of a point at a time (now by default). */
@QueryHandler(GetSurge)
export class GetSurgeHandler implements IQueryHandler<GetSurge, SurgeView> {
  constructor(private readonly db: Database) {}

  async execute({ at, atMs }: GetSurge): Promise<SurgeView> {
    const region = surgeRegion(at);
    return { region, surge: (await surgeAt(this.db, region, atMs)) / 10, at: new Date(atMs).toISOString() };
  }
}
