import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, executeCommand, loadState } from '@streamfold/eventstore';
import { RideCommand, rideDecider, rideStreamId } from '../domain/ride.decider';
import { RideNotFound } from '../domain/taxi.errors';
import { MatcherService } from './matcher.service';

export class ChangeRide {
  constructor(readonly userId: string, readonly rideId: string, readonly action: 'start' | 'complete' | 'cancel') {}
}

/**
 * Start and complete (the assigned driver), cancel (rider or driver). A ride that ends, completed
 * or cancelled, gives its driver back on the driver's availability stream. If the process stops
 * between the two appends the driver stays claimed; repeating the command (idempotent, the ride
 * decides nothing new) releases them.
 */
@CommandHandler(ChangeRide)
export class ChangeRideHandler implements ICommandHandler<ChangeRide, void> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly matcher: MatcherService,
  ) {}

  async execute({ userId, rideId, action }: ChangeRide): Promise<void> {
    const streamId = rideStreamId(rideId);
    const { state } = await loadState(this.store, rideDecider, streamId);
    if (state.status === 'none') throw RideNotFound.because(rideId);
    const command: RideCommand =
      action === 'start' ? { type: 'StartRide', driverId: userId } : action === 'complete' ? { type: 'CompleteRide', driverId: userId } : { type: 'CancelRide', userId };
    const outcome = await executeCommand({ store: this.store, decider: rideDecider, streamId, command, context: { actor: userId }, maxRetries: 3, resultOf: (_e, s) => s });
    const after = outcome.result ?? (await loadState(this.store, rideDecider, streamId)).state;
    if ((after.status === 'completed' || after.status === 'cancelled') && after.driverId) await this.matcher.release(after.driverId, rideId);
  }
}
