import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConcurrencyConflict } from '@streamfold/core';
import { EVENT_STORE, EventStore, executeCommand, loadState } from '@streamfold/eventstore';
import { Database } from '@streamfold/runtime';
import { driverAvailabilityDecider, driverStreamId } from '../domain/driver-availability.decider';
import { LatLng } from '../domain/geo';
import { Candidate, DriverFix, DriversInCells, searchCandidates } from '../domain/matching';
import { rideDecider, rideStreamId } from '../domain/ride.decider';
import { DriverBusy } from '../domain/taxi.errors';
import { DRIVERS_IN_CELLS_QUERY } from '../read-models/driver-locations.projection';
import { TAXI_CONFIG } from '../taxi.config';

export interface PendingRide {
  rideId: string;
  riderId: string;
  pickup: LatLng;
  requestedAtMs: number;
}

export type MatchOutcome = { status: 'assigned'; driverId: string; pickupDistanceM: number } | { status: 'requested' } | { status: 'closed' };

/**
 * Matches a requested ride with the nearest free fresh driver. Candidates come from the
 * driver-location read model, nearest first; each is claimed on its own availability stream at
 * the version just read, so of two rides racing for one driver exactly one wins and the other
 * moves on to its next candidate. A ride no driver could take stays pending and is retried, from
 * TAXI_WORKER_INTERVAL_MS backing off to 2 s, until TAXI_MATCH_TIMEOUT_MS, then gets NoDriverAvailable.
 *
 * Idempotent, so a crash or a second process matching the same ride is safe: a claim for the
 * same ride is a no-op, and a ride that was assigned meanwhile refuses a second driver, whose
 * claim is then released.
 */
@Injectable()
export class MatcherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Matcher');
  private readonly pending = new Map<string, PendingRide>();
  /** When each waiting ride is tried next: every search costs up to five read-model queries, so retries back off. */
  private readonly retryAt = new Map<string, { atMs: number; delayMs: number }>();
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly db: Database,
  ) {}

  /** The read-model lookup the search uses. */
  readonly lookup: DriversInCells = async (cells, freshSinceMs) => {
    const { rows } = await this.db.query(DRIVERS_IN_CELLS_QUERY, [cells, freshSinceMs]);
    return rows.map((r): DriverFix => ({ driverId: r.driver_id, lat: r.lat, lng: r.lng, atMs: new Date(r.at).getTime() }));
  };

  /** One matching attempt now; a ride left unmatched is queued for retries until its timeout. */
  async match(ride: PendingRide, nowMs = Date.now()): Promise<MatchOutcome> {
    const refused = new Set<string>();
    const candidates = await searchCandidates(ride.pickup, this.lookup, { nowMs, freshMs: TAXI_CONFIG.freshMs, exclude: refused });
    for (const candidate of candidates) {
      const outcome = await this.claim(ride, candidate);
      if (outcome) return outcome;
    }
    if (nowMs - ride.requestedAtMs >= TAXI_CONFIG.matchTimeoutMs) {
      await executeCommand({ store: this.store, decider: rideDecider, streamId: rideStreamId(ride.rideId), command: { type: 'GiveUpMatching', waitedMs: nowMs - ride.requestedAtMs }, context: { actor: 'taxi.matcher' }, maxRetries: 3 });
      this.forget(ride.rideId);
      return { status: 'closed' };
    }
    this.pending.set(ride.rideId, ride);
    const delayMs = Math.min(2_000, (this.retryAt.get(ride.rideId)?.delayMs ?? TAXI_CONFIG.workerIntervalMs / 2) * 2);
    this.retryAt.set(ride.rideId, { atMs: nowMs + delayMs, delayMs });
    return { status: 'requested' };
  }

  /** Claims one driver for the ride and assigns it; null when the driver was taken (try the next one). */
  private async claim(ride: PendingRide, candidate: Candidate): Promise<MatchOutcome | null> {
    const { driverId } = candidate;
    try {
      // A lost race re-reads the stream once and then sees the driver taken: DriverBusy.
      await executeCommand({ store: this.store, decider: driverAvailabilityDecider, streamId: driverStreamId(driverId), command: { type: 'ClaimDriver', driverId, rideId: ride.rideId }, context: { actor: 'taxi.matcher' }, maxRetries: 1 });
    } catch (error) {
      // Taken (or still being fought over after a retry): the next candidate it is.
      if (error instanceof DriverBusy || error instanceof ConcurrencyConflict) return null;
      throw error;
    }
    const assigned = await executeCommand({
      store: this.store,
      decider: rideDecider,
      streamId: rideStreamId(ride.rideId),
      command: { type: 'AssignDriver', driverId, pickupDistanceM: Math.round(candidate.distanceM) },
      context: { actor: 'taxi.matcher' },
      maxRetries: 3,
      resultOf: (_events, state) => state,
    });
    this.forget(ride.rideId);
    const state = assigned.result;
    if (state && state.status === 'assigned' && state.driverId === driverId) return { status: 'assigned', driverId, pickupDistanceM: Math.round(candidate.distanceM) };
    // The ride was matched elsewhere, cancelled or timed out meanwhile: give the driver back.
    await this.release(driverId, ride.rideId);
    return state && state.status === 'assigned' ? { status: 'assigned', driverId: state.driverId, pickupDistanceM: 0 } : { status: 'closed' };
  }

  async release(driverId: string, rideId: string): Promise<void> {
    await executeCommand({ store: this.store, decider: driverAvailabilityDecider, streamId: driverStreamId(driverId), command: { type: 'ReleaseDriver', driverId, rideId }, context: { actor: 'taxi.matcher' }, maxRetries: 3 });
  }

  /** Rides still pending in this process, oldest first. */
  pendingRides(): PendingRide[] {
    return [...this.pending.values()].sort((a, b) => a.requestedAtMs - b.requestedAtMs);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Rides a previous process left requested (a crash between request and match) are picked up again.
    try {
      const { rows } = await this.db.query(`SELECT ride_id, rider_id, pickup, requested_at FROM taxi_rides_view WHERE status = 'requested'`);
      for (const r of rows) this.pending.set(r.ride_id, { rideId: r.ride_id, riderId: r.rider_id, pickup: r.pickup, requestedAtMs: new Date(r.requested_at).getTime() });
    } catch (error) {
      this.log.warn(`could not load pending rides: ${(error as Error).message}`);
    }
    this.timer = setInterval(() => void this.sweep(), TAXI_CONFIG.workerIntervalMs);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    if (this.sweeping || this.pending.size === 0) return;
    this.sweeping = true;
    try {
      for (const ride of this.pendingRides()) {
        if ((this.retryAt.get(ride.rideId)?.atMs ?? 0) > Date.now()) continue;
        // Cancelled or matched by another process meanwhile: nothing left to do for it.
        const { state } = await loadState(this.store, rideDecider, rideStreamId(ride.rideId));
        if (state.status !== 'requested') this.forget(ride.rideId);
        else await this.match(ride);
      }
    } catch (error) {
      this.log.warn(`matching retry failed (retried next tick): ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  private forget(rideId: string): void {
    this.pending.delete(rideId);
    this.retryAt.delete(rideId);
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
