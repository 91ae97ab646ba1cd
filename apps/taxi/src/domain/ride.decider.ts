import { assertNever, Decider } from '@streamfold/core';
import { LatLng } from './geo';
import { RideInWrongState, NotYourRide } from './taxi.errors';
import { FareComputation } from './fare';
import { FareData, RideEvent, TaxiEventType as T } from './taxi.events';

interface Requested {
  rideId: string;
  riderId: string;
  pickup: LatLng;
  dropoff: LatLng;
  surgeTenths: number;
  requestedAt: string;
}
export type RideState =
  | { status: 'none' }
  | ({ status: 'requested' } & Requested)
  | ({ status: 'unmatched' } & Requested)
  | ({ status: 'assigned'; driverId: string } & Requested)
  | ({ status: 'started'; driverId: string; startedAt: string } & Requested)
  | ({ status: 'completed'; driverId: string; startedAt: string; completedAt: string; fare: FareData | null } & Requested)
  | ({ status: 'cancelled'; driverId: string | null } & Requested);

export type RideCommand =
  | { type: 'RequestRide'; rideId: string; riderId: string; pickup: LatLng; dropoff: LatLng; region: string; surgeTenths: number; estimateMinor: number }
  | { type: 'AssignDriver'; driverId: string; pickupDistanceM: number }
  | { type: 'GiveUpMatching'; waitedMs: number }
  | { type: 'StartRide'; driverId: string }
  | { type: 'CompleteRide'; driverId: string }
  | { type: 'CancelRide'; userId: string }
  | { type: 'SettleFare'; fare: FareComputation; graceMs: number };

export const rideStreamId = (rideId: string) => `taxi-ride-${rideId}`;

/**
 * Stream `taxi-ride-<rideId>`: requested → assigned | unmatched → started → completed (→ fare),
 * or cancelled before completion. Only the assigned driver starts and completes; rider or driver
 * may cancel. A fare is settled once; a different fare within the grace period after completion
 * is a FareCorrected event, after it the fare stands.
 */
export const rideDecider: Decider<RideCommand, RideEvent, RideState> = {
  initialState: () => ({ status: 'none' }),

  decide(command, state, { now }) {
    if (command.type === 'RequestRide') {
      if (state.status !== 'none') return []; // same ride id again: already requested
      const { type: _, ...data } = command;
      return [{ type: T.RideRequested, data }];
    }
    if (state.status === 'none') return []; // nothing to act on; the handler checks existence
    const { rideId, riderId } = state;
    switch (command.type) {
      case 'AssignDriver':
        if (state.status !== 'requested') return []; // matched, cancelled or timed out meanwhile
        return [{ type: T.DriverAssigned, data: { rideId, riderId, driverId: command.driverId, pickupDistanceM: command.pickupDistanceM } }];
      case 'GiveUpMatching':
        if (state.status !== 'requested') return [];
        return [{ type: T.NoDriverAvailable, data: { rideId, riderId, waitedMs: command.waitedMs } }];
      case 'StartRide':
        if (state.status === 'started') return [];
        if (state.status !== 'assigned') throw RideInWrongState.toStart(rideId, state.status);
        if (state.driverId !== command.driverId) throw NotYourRide.asDriver(rideId);
        return [{ type: T.RideStarted, data: { rideId, riderId, driverId: command.driverId } }];
      case 'CompleteRide':
        if (state.status === 'completed') return [];
        if (state.status !== 'started') throw RideInWrongState.toComplete(rideId, state.status);
        if (state.driverId !== command.driverId) throw NotYourRide.asDriver(rideId);
        return [{ type: T.RideCompleted, data: { rideId, riderId, driverId: command.driverId, startedAt: state.startedAt } }];
      case 'CancelRide': {
        if (state.status === 'cancelled') return [];
        const driverId = 'driverId' in state ? state.driverId : null;
        if (command.userId !== riderId && command.userId !== driverId) throw NotYourRide.asRider(rideId);
        if (state.status === 'completed' || state.status === 'unmatched') throw RideInWrongState.toCancel(rideId, state.status);
        return [{ type: T.RideCancelled, data: { rideId, riderId, driverId, by: command.userId } }];
      }
      case 'SettleFare': {
        if (state.status !== 'completed') return [];
        // The caller priced it with the quoted surge of this ride (RideRequested.surgeTenths).
        const fare: FareData = { rideId, riderId, driverId: state.driverId, surgeTenths: state.surgeTenths, ...command.fare };
        if (!state.fare) return [{ type: T.FareCalculated, data: fare }];
        if (state.fare.fareMinor === fare.fareMinor && state.fare.positions === fare.positions) return [];
        // Past the grace period the fare stands: a late correction is ignored, not applied silently.
        if (now.getTime() > Date.parse(state.completedAt) + command.graceMs) return [];
        return [{ type: T.FareCorrected, data: { ...fare, previousFareMinor: state.fare.fareMinor } }];
      }
      default:
        return assertNever(command, 'ride command');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case T.RideRequested: {
        const { rideId, riderId, pickup, dropoff, surgeTenths } = event.data;
        return { status: 'requested', rideId, riderId, pickup, dropoff, surgeTenths, requestedAt: (event as { occurredAt?: string }).occurredAt ?? '' };
      }
      case T.DriverAssigned:
        return state.status === 'requested' ? { ...state, status: 'assigned', driverId: event.data.driverId } : state;
      case T.NoDriverAvailable:
        return state.status === 'requested' ? { ...state, status: 'unmatched' } : state;
      case T.RideStarted:
        return state.status === 'assigned' ? { ...state, status: 'started', startedAt: occurred(event) } : state;
      case T.RideCompleted:
        return state.status === 'started' ? { ...state, status: 'completed', completedAt: occurred(event), fare: null } : state;
      case T.RideCancelled:
        return state.status === 'none' ? state : { ...state, status: 'cancelled', driverId: event.data.driverId };
      case T.FareCalculated:
      case T.FareCorrected:
        return state.status === 'completed' ? { ...state, fare: event.data } : state;
      default:
        return assertNever(event, 'ride event');
    }
  },
};

/** Loaded events are envelopes and carry their event time; decided ones do not yet (now is used). */
function occurred(event: object): string {
  return (event as { occurredAt?: string }).occurredAt ?? new Date(0).toISOString();
}
