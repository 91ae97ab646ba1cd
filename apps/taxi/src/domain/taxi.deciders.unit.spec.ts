import { fixedContext, deciderSpec } from '@streamfold/testing';
import { Forbidden, RuleViolated } from '@streamfold/core';
import { driverAvailabilityDecider } from './driver-availability.decider';
import { rideDecider } from './ride.decider';
import { DriverBusy } from './taxi.errors';
import { RideEvent, TaxiEventType as T } from './taxi.events';

const p = { lat: 48.85, lng: 2.35 };
const requested: RideEvent = { type: T.RideRequested, data: { rideId: 'r1', riderId: 'alice', pickup: p, dropoff: p, region: 'x', surgeTenths: 15, estimateMinor: 900 } };
const assigned: RideEvent = { type: T.DriverAssigned, data: { rideId: 'r1', riderId: 'alice', driverId: 'bob', pickupDistanceM: 120 } };
const started = { type: T.RideStarted, data: { rideId: 'r1', riderId: 'alice', driverId: 'bob' }, occurredAt: '2025-01-01T11:40:00.000Z' } as RideEvent;
const completed = { type: T.RideCompleted, data: { rideId: 'r1', riderId: 'alice', driverId: 'bob', startedAt: '2025-01-01T11:40:00.000Z' }, occurredAt: '2025-01-01T11:59:00.000Z' } as RideEvent;
const computation = { distanceM: 5000, durationS: 1140, fareMinor: 1873, positions: 380 };
const fare = { rideId: 'r1', riderId: 'alice', driverId: 'bob', surgeTenths: 15, ...computation };

describe('driver availability', () => {
  const spec = deciderSpec(driverAvailabilityDecider);
  it('gives a free driver to one ride, refuses a second, and repeats nothing for the same ride', () => {
    spec.when({ type: 'ClaimDriver', driverId: 'bob', rideId: 'r1' }).then([{ type: T.DriverClaimed, data: { driverId: 'bob', rideId: 'r1' } }]);
    spec.given([{ type: T.DriverClaimed, data: { driverId: 'bob', rideId: 'r1' } }]).when({ type: 'ClaimDriver', driverId: 'bob', rideId: 'r2' }).thenThrows(DriverBusy);
    spec.given([{ type: T.DriverClaimed, data: { driverId: 'bob', rideId: 'r1' } }]).when({ type: 'ClaimDriver', driverId: 'bob', rideId: 'r1' }).then([]);
  });
  it('is released only by the ride that holds it', () => {
    const held = [{ type: T.DriverClaimed, data: { driverId: 'bob', rideId: 'r1' } }] as const;
    spec.given([...held]).when({ type: 'ReleaseDriver', driverId: 'bob', rideId: 'r2' }).then([]);
    spec.given([...held]).when({ type: 'ReleaseDriver', driverId: 'bob', rideId: 'r1' }).then([{ type: T.DriverReleased, data: { driverId: 'bob', rideId: 'r1' } }]);
  });
});

describe('ride', () => {
  const spec = deciderSpec(rideDecider);
  it('takes one driver, and only that driver starts and completes it', () => {
    spec.given([requested, assigned]).when({ type: 'AssignDriver', driverId: 'carol', pickupDistanceM: 50 }).then([]);
    spec.given([requested, assigned]).when({ type: 'StartRide', driverId: 'carol' }).thenThrows(Forbidden);
    spec.given([requested]).when({ type: 'StartRide', driverId: 'bob' }).thenThrows(RuleViolated);
    spec.given([requested, assigned, started]).when({ type: 'CompleteRide', driverId: 'bob' }).then([completed].map((e) => ({ type: e.type, data: e.data })) as RideEvent[]);
  });
  it('times out into NoDriverAvailable only while still requested', () => {
    spec.given([requested]).when({ type: 'GiveUpMatching', waitedMs: 10_000 }).then([{ type: T.NoDriverAvailable, data: { rideId: 'r1', riderId: 'alice', waitedMs: 10_000 } }]);
    spec.given([requested, assigned]).when({ type: 'GiveUpMatching', waitedMs: 10_000 }).then([]);
  });
  it('lets the rider or the driver cancel, nobody else', () => {
    spec.given([requested, assigned]).when({ type: 'CancelRide', userId: 'mallory' }).thenThrows(Forbidden);
    spec.given([requested, assigned]).when({ type: 'CancelRide', userId: 'bob' }).then([{ type: T.RideCancelled, data: { rideId: 'r1', riderId: 'alice', driverId: 'bob', by: 'bob' } }]);
  });
  it('settles the fare once with the quoted surge, corrects it within the grace period, and lets it stand after', () => {
    const history = [requested, assigned, started, completed];
    spec.given(history).when({ type: 'SettleFare', fare: computation, graceMs: 120_000 }).then([{ type: T.FareCalculated, data: fare }]);
    const settled = [...history, { type: T.FareCalculated, data: fare } as RideEvent];
    spec.given(settled).when({ type: 'SettleFare', fare: computation, graceMs: 120_000 }).then([]);
    const late = { ...computation, distanceM: 5100, fareMinor: 1891, positions: 384 };
    spec.given(settled).when({ type: 'SettleFare', fare: late, graceMs: 120_000 }, fixedContext({ now: new Date('2025-01-01T12:00:00Z') }))
      .then([{ type: T.FareCorrected, data: { ...fare, ...late, previousFareMinor: 1873 } }]);
    spec.given(settled).when({ type: 'SettleFare', fare: late, graceMs: 120_000 }, fixedContext({ now: new Date('2025-01-01T12:05:00Z') })).then([]);
  });
});
