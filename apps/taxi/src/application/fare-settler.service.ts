import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { Database } from '@streamfold/runtime';
import { computeFare, DEFAULT_TARIFF } from '../domain/fare';
import { rideDecider, rideStreamId } from '../domain/ride.decider';
import { newestFixMs, storedFixes } from '../read-models/position-history.projection';
import { TAXI_CONFIG } from '../taxi.config';

/** How long a first fare waits for the history to hold a fix at or after drop-off. */
const HISTORY_WAIT_MS = 5_000;
/** SQLSTATE undefined_table: the rides read model has no view yet. */
const UNDEFINED_TABLE = '42P01';

/**
 * Settles fares from stored positions. For every completed ride without a fare, and every ride
 * still inside its grace period, it computes the fare from the position history read model (pure
 * computeFare) and sends SettleFare to the ride: the ride decides FareCalculated the first time,
 * FareCorrected when late positions changed it within the grace period, and nothing when it is
 * the same, so running it again, or in two processes at once, never charges twice.
 *
 * The first fare waits until the history holds a fix at or after drop-off (or HISTORY_WAIT_MS
 * passed), so positions that were merely still in flight are not mistaken for late ones.
 */
@Injectable()
export class FareSettlerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('FareSettler');
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /**
   * The rides read model (`taxi_rides_view`) did not exist at the last tick: with the roles split,
   * the projections process creates it, and this one may start first. Said once, not every tick.
   */
  private waitingForReadModel = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly db: Database,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), Math.max(TAXI_CONFIG.workerIntervalMs, 500));
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over the rides that need a fare or may need a correction; returns how many were looked at. */
  async tick(nowMs = Date.now()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const { rows } = await this.db.query(
        `SELECT ride_id, driver_id, surge_tenths, fare_minor, extract(epoch FROM started_at) * 1000 AS started_ms, extract(epoch FROM completed_at) * 1000 AS completed_ms
         FROM taxi_rides_view WHERE status = 'completed' AND (fare_minor IS NULL OR completed_at > to_timestamp($1 / 1000.0))
         ORDER BY completed_at LIMIT 500`,
        [nowMs - TAXI_CONFIG.fareGraceMs],
      );
      if (this.waitingForReadModel) this.log.log('the taxi.rides read model is there: settling fares');
      this.waitingForReadModel = false;
      for (const r of rows) await this.settle(r as SettleRow, nowMs);
      return rows.length;
    } catch (error) {
      if ((error as { code?: unknown }).code === UNDEFINED_TABLE) {
        if (!this.waitingForReadModel) this.log.log(`waiting for the taxi.rides read model (its projection creates taxi_rides_view): ${(error as Error).message}`);
        this.waitingForReadModel = true;
        return 0;
      }
      this.log.warn(`settling fares failed (retried next tick): ${(error as Error).message}`);
      return 0;
    } finally {
      this.running = false;
    }
  }

  private async settle(r: SettleRow, nowMs: number): Promise<void> {
    const startedMs = Math.round(Number(r.started_ms));
    const completedMs = Math.round(Number(r.completed_ms));
    if (r.fare_minor === null && nowMs - completedMs < HISTORY_WAIT_MS && ((await newestFixMs(this.db, r.driver_id)) ?? 0) < completedMs) return;
    const fixes = await storedFixes(this.db, r.driver_id, startedMs, completedMs);
    const fare = computeFare(DEFAULT_TARIFF, fixes, startedMs, completedMs, r.surge_tenths);
    await executeCommand({
      store: this.store,
      decider: rideDecider,
      streamId: rideStreamId(r.ride_id),
      command: { type: 'SettleFare', graceMs: TAXI_CONFIG.fareGraceMs, fare },
      context: { actor: 'taxi.fares', now: new Date(nowMs) },
      maxRetries: 3,
    });
  }
}

interface SettleRow {
  ride_id: string;
  driver_id: string;
  surge_tenths: number;
  fare_minor: number | null;
  started_ms: number;
  completed_ms: number;
}
