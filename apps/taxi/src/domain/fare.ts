import { distanceM, LatLng } from './geo';

/** One stored position of a taxi: event time (epoch ms) and place. */
export interface Fix extends LatLng {
  atMs: number;
}

/** Prices in integer minor units (cents). */
export interface Tariff {
  baseMinor: number;
  perKmMinor: number;
  perMinuteMinor: number;
}

/** @default base 2.50, 1.20 per km, 0.30 per minute */
export const DEFAULT_TARIFF: Tariff = { baseMinor: 250, perKmMinor: 120, perMinuteMinor: 30 };

/** Faster than this between two fixes is a GPS jump, not a taxi. */
export const MAX_PLAUSIBLE_SPEED_KMH = 200;

/**
 * The track a fare is computed from: fixes in [fromMs, toMs] in event-time order, one per
 * (time, place) (a fix delivered twice counts once), and a fix that would imply more than
 * 200 km/h from the last kept one is dropped as a GPS jump (the next good fix is measured from
 * the last kept one, so one outlier never costs the real distance around it).
 */
export function cleanTrack(fixes: readonly Fix[], fromMs: number, toMs: number): Fix[] {
  const inRide = fixes.filter((f) => f.atMs >= fromMs && f.atMs <= toMs);
  inRide.sort((a, b) => a.atMs - b.atMs || a.lat - b.lat || a.lng - b.lng);
  const kept: Fix[] = [];
  for (const f of inRide) {
    const last = kept[kept.length - 1];
    if (last && last.atMs === f.atMs) continue; // same instant: a duplicate or a second reading, keep the first
    if (last) {
      const hours = (f.atMs - last.atMs) / 3_600_000;
      if (distanceM(last, f) / 1000 / hours > MAX_PLAUSIBLE_SPEED_KMH) continue;
    }
    kept.push(f);
  }
  return kept;
}

/** Sum of great-circle segments along the track, in metres. */
export function trackLengthM(track: readonly Fix[]): number {
  let total = 0;
  for (let i = 1; i < track.length; i++) total += distanceM(track[i - 1], track[i]);
  return total;
}

/**
 * fare = (base + per-km × km + per-minute × minutes) × surge, rounded once to a minor unit.
 * Surge is in tenths, so the only division is the final one and the result is an integer.
 */
export function fareMinor(tariff: Tariff, distanceMetres: number, durationS: number, surgeTenths: number): number {
  const subtotalMilli = tariff.baseMinor * 1000 + Math.round(tariff.perKmMinor * distanceMetres) + Math.round((tariff.perMinuteMinor * durationS * 1000) / 60);
  return Math.round((subtotalMilli * surgeTenths) / 10_000);
}

/** What the rider is shown before confirming: straight-line distance × 1.3 (street detour), at 25 km/h. */
export function estimateMinor(tariff: Tariff, pickup: LatLng, dropoff: LatLng, surgeTenths: number): number {
  const metres = distanceM(pickup, dropoff) * 1.3;
  return fareMinor(tariff, metres, Math.round(metres / (25 / 3.6)), surgeTenths);
}

export interface FareComputation {
  distanceM: number;
  durationS: number;
  fareMinor: number;
  positions: number;
}

/** The fare of a ride from its stored fixes between pickup and drop-off. */
export function computeFare(tariff: Tariff, fixes: readonly Fix[], startedAtMs: number, completedAtMs: number, surgeTenths: number): FareComputation {
  const track = cleanTrack(fixes, startedAtMs, completedAtMs);
  const distance = trackLengthM(track);
  const durationS = Math.max(0, Math.round((completedAtMs - startedAtMs) / 1000));
  return { distanceM: Math.round(distance * 10) / 10, durationS, fareMinor: fareMinor(tariff, distance, durationS, surgeTenths), positions: track.length };
}
