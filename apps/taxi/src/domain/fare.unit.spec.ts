import { propertyParams } from '@streamfold/testing';
import fc from 'fast-check';
import { distanceM, LatLng } from './geo';
import { cleanTrack, computeFare, DEFAULT_TARIFF, Fix, fareMinor, trackLengthM } from './fare';
import { along, pickupAt, route, seededRandom, uniformPoint } from '../simulator/city';

/** One simulated ride of at least 1 km: positions every second (1 Hz, as the simulator and taxi meters report) along a street route at 30–50 km/h. */
function simulateRide(random: () => number, startMs: number): { fixes: Fix[]; trueLengthM: number; endMs: number } {
  const from = pickupAt(8, random);
  let to = uniformPoint(random);
  while (distanceM(from, to) < 1000) to = uniformPoint(random);
  const path = route(from, to);
  let trueLengthM = 0;
  for (let i = 1; i < path.length; i++) trueLengthM += distanceM(path[i - 1], path[i]);
  const speed = (30 + random() * 20) / 3.6;
  const fixes: Fix[] = [];
  let t = 0;
  for (; t * speed < trueLengthM; t += 1) fixes.push({ ...along(path, t * speed), atMs: startMs + t * 1000 });
  fixes.push({ ...path[path.length - 1], atMs: startMs + (trueLengthM / speed) * 1000 });
  return { fixes, trueLengthM, endMs: startMs + Math.ceil((trueLengthM / speed) * 1000) };
}

/** Delivery as a phone network does it: 10 % out of order, 1 % twice, a few GPS jumps. */
function deliver(fixes: Fix[], random: () => number): Fix[] {
  const out: Fix[] = [];
  for (const f of fixes) {
    out.push(f);
    if (random() < 0.01) out.push({ ...f });
    if (random() < 0.005) out.push({ lat: f.lat + 0.05, lng: f.lng, atMs: f.atMs + 500 }); // 5 km away half a second later
  }
  for (let i = 0; i < out.length; i++) {
    if (random() < 0.1) {
      const j = Math.min(out.length - 1, i + 1 + Math.floor(random() * 20));
      [out[i], out[j]] = [out[j], out[i]];
    }
  }
  return out;
}

describe('fare from stored positions', () => {
  it('is within 1 % of the true route length for every ride of a simulated hour (10 % out of order, 1 % twice)', () => {
    const random = seededRandom(4242);
    const hourStart = Date.parse('2026-03-02T08:00:00Z');
    let rides = 0;
    for (let start = hourStart; start < hourStart + 3_600_000; start += 20_000) {
      const ride = simulateRide(random, start);
      const fare = computeFare(DEFAULT_TARIFF, deliver(ride.fixes, random), start, ride.endMs, 10);
      expect(Math.abs(fare.distanceM - ride.trueLengthM) / ride.trueLengthM).toBeLessThan(0.01);
      rides++;
    }
    expect(rides).toBe(180);
  });

  it('does not depend on arrival order or duplicates (property)', () => {
    const fix = fc.record({ lat: fc.double({ min: 48.8, max: 48.81, noNaN: true }), lng: fc.double({ min: 2.3, max: 2.31, noNaN: true }), atMs: fc.integer({ min: 0, max: 600_000 }) });
    fc.assert(
      fc.property(fc.array(fix, { maxLength: 60 }), fc.integer(), (fixes, seed) => {
        const random = seededRandom(seed);
        const shuffled = [...fixes, ...fixes.filter(() => random() < 0.2)].sort(() => random() - 0.5);
        expect(trackLengthM(cleanTrack(shuffled, 0, 600_000))).toBeCloseTo(trackLengthM(cleanTrack(fixes, 0, 600_000)), 6);
      }),
      propertyParams({ numRuns: 200 }),
    );
  });

  it('drops a fix that implies more than 200 km/h and measures from the last good one', () => {
    const a: LatLng = { lat: 48.8566, lng: 2.3522 };
    const track = cleanTrack(
      [
        { ...a, atMs: 0 },
        { lat: 48.9, lng: 2.3522, atMs: 1000 }, // 4.8 km in 1 s
        { lat: 48.8575, lng: 2.3522, atMs: 10_000 }, // 100 m in 10 s
      ],
      0,
      10_000,
    );
    expect(track.map((f) => f.atMs)).toEqual([0, 10_000]);
  });

  it('prices in integer minor units: base + per km + per minute, times the surge', () => {
    expect(fareMinor(DEFAULT_TARIFF, 10_000, 1200, 10)).toBe(250 + 1200 + 600);
    expect(fareMinor(DEFAULT_TARIFF, 10_000, 1200, 15)).toBe(3075);
    expect(Number.isInteger(fareMinor(DEFAULT_TARIFF, 1234.5678, 77, 13))).toBe(true);
  });
});
