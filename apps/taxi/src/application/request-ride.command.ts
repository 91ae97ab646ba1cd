import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { Database } from '@streamfold/runtime';
import { randomUUID } from 'node:crypto';
import { DEFAULT_TARIFF, estimateMinor } from '../domain/fare';
import { LatLng, surgeRegion } from '../domain/geo';
import { rideDecider, rideStreamId } from '../domain/ride.decider';
import { surgeAt } from '../read-models/surge.projection';
import { MatcherService, MatchOutcome } from './matcher.service';

export class RequestRide {
  constructor(readonly riderId: string, readonly pickup: LatLng, readonly dropoff: LatLng, readonly idempotencyKey?: string) {}
}

export interface RideRequestAnswer {
  rideId: string;
  /** 'assigned' with the driver, 'requested' while matching goes on (watch the live status), 'closed' otherwise. */
  match: MatchOutcome;
  surgeTenths: number;
  estimateMinor: number;
}

/**
 * Quotes, records and matches a ride. The quote joins the request's event time with the surge
 * history of the pickup's region (the multiplier in force at that instant, not "latest"); it is
 * stored in RideRequested and the fare later uses exactly that multiplier. Matching then runs at
 * once; a ride not matched now is retried by the matcher until its timeout.
 */
@CommandHandler(RequestRide)
export class RequestRideHandler implements ICommandHandler<RequestRide, RideRequestAnswer> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly db: Database,
    private readonly matcher: MatcherService,
  ) {}

  async execute({ riderId, pickup, dropoff, idempotencyKey }: RequestRide): Promise<RideRequestAnswer> {
    const now = new Date();
    const region = surgeRegion(pickup);
    const surgeTenths = await surgeAt(this.db, region, now.getTime());
    const estimate = estimateMinor(DEFAULT_TARIFF, pickup, dropoff, surgeTenths);
    const rideId = randomUUID();
    const requested = await executeCommand({
      store: this.store,
      decider: rideDecider,
      streamId: rideStreamId(rideId),
      command: { type: 'RequestRide', rideId, riderId, pickup, dropoff, region, surgeTenths, estimateMinor: estimate },
      context: { actor: riderId, now },
      commandId: idempotencyKey ? `taxi.RequestRide:${riderId}:${idempotencyKey}` : undefined,
      resultOf: () => ({ rideId, surgeTenths, estimateMinor: estimate }),
    });
    const first = requested.result as { rideId: string; surgeTenths: number; estimateMinor: number };
    if (requested.duplicate) return { ...first, match: { status: 'requested' } };
    const match = await this.matcher.match({ rideId, riderId, pickup, requestedAtMs: now.getTime() });
    return { ...first, match };
  }
}
