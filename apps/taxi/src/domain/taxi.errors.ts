import { Forbidden, NotFound, RuleViolated } from '@streamfold/core';

export const RideNotFound = {
  because: (rideId: string) => new NotFound(`ride ${rideId} does not exist`),
};

export const NotYourRide = {
  asRider: (rideId: string) => new Forbidden(`ride ${rideId} is not yours`),
  asDriver: (rideId: string) => new Forbidden(`you are not the driver of ride ${rideId}`),
};

export const RideInWrongState = {
  toStart: (rideId: string, status: string) => new RuleViolated('ride_not_assigned', `ride ${rideId} cannot start: it is ${status}`),
  toComplete: (rideId: string, status: string) => new RuleViolated('ride_not_started', `ride ${rideId} cannot complete: it is ${status}`),
  toCancel: (rideId: string, status: string) => new RuleViolated('ride_finished', `ride ${rideId} cannot be cancelled: it is ${status}`),
};

/** Thrown by the driver-availability decider; the matcher takes it as "try the next driver". */
export class DriverBusy extends RuleViolated {
  static claimedFor(driverId: string, rideId: string): DriverBusy {
    return new DriverBusy('driver_busy', `driver ${driverId} is on ride ${rideId}`);
  }
}
