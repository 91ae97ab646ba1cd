import { DomainEvent, EventTypeDefinition } from '@streamfold/core';
import { isLatLng, LatLng } from './geo';

/** Wire names are stable: never rename one, add a new type instead. */
export const TaxiEventType = {
  // Telemetry (TelemetryPublisher, not the event store).
  TaxiPositionReported: 'taxi.TaxiPositionReported',
  RiderPositionReported: 'taxi.RiderPositionReported',
  // Ride stream `taxi-ride-<rideId>`.
  RideRequested: 'taxi.RideRequested',
  DriverAssigned: 'taxi.DriverAssigned',
  NoDriverAvailable: 'taxi.NoDriverAvailable',
  RideStarted: 'taxi.RideStarted',
  RideCompleted: 'taxi.RideCompleted',
  RideCancelled: 'taxi.RideCancelled',
  FareCalculated: 'taxi.FareCalculated',
  FareCorrected: 'taxi.FareCorrected',
  // Driver availability stream `taxi-driver-<driverId>`.
  DriverClaimed: 'taxi.DriverClaimed',
  DriverReleased: 'taxi.DriverReleased',
  // Surge processor output, stream `taxi-surge-<region>`.
  SurgeChanged: 'taxi.SurgeChanged',
} as const;
const T = TaxiEventType;

/** `available`: the driver app's "accepting rides" state, used for surge supply (matching asks the aggregate). */
export type TaxiPositionReported = DomainEvent<typeof T.TaxiPositionReported, { taxiId: string; lat: number; lng: number; available: boolean }>;
export type RiderPositionReported = DomainEvent<typeof T.RiderPositionReported, { userId: string; lat: number; lng: number }>;

/** Surge in tenths (10 = ×1.0, 30 = ×3.0): integers, so money never meets a float factor. */
export type RideRequested = DomainEvent<
  typeof T.RideRequested,
  { rideId: string; riderId: string; pickup: LatLng; dropoff: LatLng; region: string; surgeTenths: number; estimateMinor: number }
>;
export type DriverAssigned = DomainEvent<typeof T.DriverAssigned, { rideId: string; riderId: string; driverId: string; pickupDistanceM: number }>;
export type NoDriverAvailable = DomainEvent<typeof T.NoDriverAvailable, { rideId: string; riderId: string; waitedMs: number }>;
export type RideStarted = DomainEvent<typeof T.RideStarted, { rideId: string; riderId: string; driverId: string }>;
export type RideCompleted = DomainEvent<typeof T.RideCompleted, { rideId: string; riderId: string; driverId: string; startedAt: string }>;
export type RideCancelled = DomainEvent<typeof T.RideCancelled, { rideId: string; riderId: string; driverId: string | null; by: string }>;
export interface FareData {
  rideId: string;
  riderId: string;
  driverId: string;
  distanceM: number;
  durationS: number;
  surgeTenths: number;
  fareMinor: number;
  /** Positions used, after de-duplication and dropping GPS jumps. */
  positions: number;
}
export type FareCalculated = DomainEvent<typeof T.FareCalculated, FareData>;
export type FareCorrected = DomainEvent<typeof T.FareCorrected, FareData & { previousFareMinor: number }>;
export type DriverClaimed = DomainEvent<typeof T.DriverClaimed, { driverId: string; rideId: string }>;
export type DriverReleased = DomainEvent<typeof T.DriverReleased, { driverId: string; rideId: string }>;
export type SurgeChanged = DomainEvent<
  typeof T.SurgeChanged,
  { region: string; surgeTenths: number; previousTenths: number; demand: number; supply: number; windowEndMs: number }
>;

export type RideEvent = RideRequested | DriverAssigned | NoDriverAvailable | RideStarted | RideCompleted | RideCancelled | FareCalculated | FareCorrected;
export type DriverEvent = DriverClaimed | DriverReleased;
export type PositionEvent = TaxiPositionReported;

type Check = (data: any) => string[];
const str = (f: string): Check => (d) => (typeof d?.[f] === 'string' && d[f].length > 0 && d[f].length <= 200 ? [] : [`${f} must be a non-empty string`]);
const int = (f: string, min = 0): Check => (d) => (Number.isSafeInteger(d?.[f]) && d[f] >= min ? [] : [`${f} must be an integer >= ${min}`]);
const num = (f: string): Check => (d) => (typeof d?.[f] === 'number' && Number.isFinite(d[f]) && d[f] >= 0 ? [] : [`${f} must be a finite number >= 0`]);
const point = (f: string): Check => (d) => (isLatLng(d?.[f]) ? [] : [`${f} must be { lat, lng } in degrees`]);
const latLng: Check = (d) => (isLatLng(d) ? [] : ['lat and lng must be degrees']);
const all = (...checks: Check[]) => (data: unknown) => checks.flatMap((c) => c(data));
const fare = [str('rideId'), str('riderId'), str('driverId'), num('distanceM'), int('durationS'), int('surgeTenths', 10), int('fareMinor'), int('positions')];

export const TAXI_EVENT_TYPES: EventTypeDefinition[] = [
  { type: T.TaxiPositionReported, validate: all(str('taxiId'), latLng) },
  { type: T.RiderPositionReported, validate: all(str('userId'), latLng) },
  { type: T.RideRequested, validate: all(str('rideId'), str('riderId'), point('pickup'), point('dropoff'), str('region'), int('surgeTenths', 10), int('estimateMinor')) },
  { type: T.DriverAssigned, validate: all(str('rideId'), str('riderId'), str('driverId'), num('pickupDistanceM')) },
  { type: T.NoDriverAvailable, validate: all(str('rideId'), str('riderId'), int('waitedMs')) },
  { type: T.RideStarted, validate: all(str('rideId'), str('riderId'), str('driverId')) },
  { type: T.RideCompleted, validate: all(str('rideId'), str('riderId'), str('driverId'), str('startedAt')) },
  { type: T.RideCancelled, validate: all(str('rideId'), str('riderId'), str('by')) },
  { type: T.FareCalculated, validate: all(...fare) },
  { type: T.FareCorrected, validate: all(...fare, int('previousFareMinor')) },
  { type: T.DriverClaimed, validate: all(str('driverId'), str('rideId')) },
  { type: T.DriverReleased, validate: all(str('driverId'), str('rideId')) },
  { type: T.SurgeChanged, validate: all(str('region'), int('surgeTenths', 10), int('previousTenths', 10)) },
];
