import { assertNever, Decider } from '@streamfold/core';
import { DriverBusy } from './taxi.errors';
import { DriverClaimed, DriverEvent, DriverReleased, TaxiEventType as T } from './taxi.events';

export type DriverState = { status: 'free' } | { status: 'claimed'; rideId: string };

export type DriverCommand = { type: 'ClaimDriver'; driverId: string; rideId: string } | { type: 'ReleaseDriver'; driverId: string; rideId: string };

export const driverStreamId = (driverId: string) => `taxi-driver-${driverId}`;

/**
 * Stream `taxi-driver-<driverId>`: the only place a driver is given to a ride. A claim is appended
 * at the version it was decided on, so of two concurrent claims one conflicts, re-reads the
 * stream, finds the driver taken and throws DriverBusy: one driver never serves two rides.
 * Claiming again for the same ride is a no-op, so a retried match is idempotent.
 */
export const driverAvailabilityDecider: Decider<DriverCommand, DriverEvent, DriverState> = {
  initialState: () => ({ status: 'free' }),

  decide(command, state) {
    switch (command.type) {
      case 'ClaimDriver': {
        if (state.status === 'claimed') {
          if (state.rideId === command.rideId) return [];
          throw DriverBusy.claimedFor(command.driverId, state.rideId);
        }
        const claimed: DriverClaimed = { type: T.DriverClaimed, data: { driverId: command.driverId, rideId: command.rideId } };
        return [claimed];
      }
      case 'ReleaseDriver': {
        // Releasing for a ride the driver is not on (a duplicate, a stale cancel) changes nothing.
        if (state.status !== 'claimed' || state.rideId !== command.rideId) return [];
        const released: DriverReleased = { type: T.DriverReleased, data: { driverId: command.driverId, rideId: command.rideId } };
        return [released];
      }
      default:
        return assertNever(command, 'driver command');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case T.DriverClaimed:
        return { status: 'claimed', rideId: event.data.rideId };
      case T.DriverReleased:
        return { status: 'free' };
      default:
        return assertNever(event, 'driver event');
    }
  },
};
