import { matchCell } from './geo';
import { bruteForceNearest, DriverFix, DriversInCells, searchCandidates } from './matching';
import { pickupAt, seededRandom, uniformPoint } from '../simulator/city';

/** An in-memory stand-in for the driver-location read model: drivers by resolution-9 cell. */
function index(drivers: DriverFix[]): DriversInCells {
  const byCell = new Map<string, DriverFix[]>();
  for (const d of drivers) byCell.set(matchCell(d), [...(byCell.get(matchCell(d)) ?? []), d]);
  return async (cells, since) => cells.flatMap((c) => byCell.get(c) ?? []).filter((d) => d.atMs >= since);
}

describe('matching: nearest free fresh driver over growing rings', () => {
  const NOW = Date.parse('2026-03-02T08:00:00Z');
  const FRESH = 30_000;

  it('equals brute force for 1,000 simulated requests (stale drivers and taken drivers excluded)', async () => {
    const random = seededRandom(1303);
    // 800 drivers over 144 km² (a tenth of New York's taxi density), a quarter with a stale last
    // position, and a third of those matched kept busy, so later requests see a thinning fleet.
    const drivers: DriverFix[] = Array.from({ length: 800 }, (_, i) => ({
      driverId: `d${i}`,
      ...uniformPoint(random),
      atMs: NOW - (random() < 0.25 ? FRESH + 1 + random() * 60_000 : random() * FRESH),
    }));
    const lookup = index(drivers);
    const taken = new Set<string>();
    let compared = 0;
    let beyondFirstRing = 0;
    for (let i = 0; i < 1000; i++) {
      const pickup = pickupAt(i % 24, random);
      const expected = bruteForceNearest(pickup, drivers, { nowMs: NOW, freshMs: FRESH, exclude: taken });
      const [got] = await searchCandidates(pickup, lookup, { nowMs: NOW, freshMs: FRESH, exclude: taken });
      expect(got?.driverId).toBe(expected?.driverId);
      if (expected) compared++;
      if (got && matchCell(pickup) !== matchCell(drivers.find((d) => d.driverId === got.driverId)!)) beyondFirstRing++;
      if (got && i % 3 === 0) taken.add(got.driverId);
    }
    expect(compared).toBe(1000);
    // The test is not only about the pickup's own cell: most matches come from further rings.
    expect(beyondFirstRing).toBeGreaterThan(500);
  });

  it('offers nobody when every driver is stale or beyond the last ring', async () => {
    const pickup = { lat: 48.8566, lng: 2.3522 };
    const drivers: DriverFix[] = [
      { driverId: 'stale', lat: 48.8567, lng: 2.3523, atMs: NOW - FRESH - 1 },
      { driverId: 'distant', lat: 49.5, lng: 2.3522, atMs: NOW },
    ];
    expect(await searchCandidates(pickup, index(drivers), { nowMs: NOW, freshMs: FRESH })).toEqual([]);
  });
});
