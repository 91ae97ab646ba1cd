import { cellsWithin, distanceM, LatLng, matchCell, MAX_MATCH_RINGS, ringLowerBoundM } from './geo';

/** A driver's last known position, as the driver-location read model holds it. */
export interface DriverFix extends LatLng {
  driverId: string;
  atMs: number;
}

export interface Candidate {
  driverId: string;
  distanceM: number;
}

export interface SearchOptions {
  nowMs: number;
  /** Drivers whose last fix is older than nowMs − freshMs are not offered. */
  freshMs: number;
  /** Drivers known to be taken (claimed or already refused for this ride). */
  exclude?: ReadonlySet<string>;
  /** @default MAX_MATCH_RINGS */
  maxRings?: number;
}

/** Free fresh drivers in the given cells: read model query (or an in-memory index in tests). */
export type DriversInCells = (cells: string[], freshSinceMs: number) => Promise<DriverFix[]>;

/** Nearest first; equal distances by driver id, so the order is total and a replay picks the same driver. */
export const byDistance = (a: Candidate, b: Candidate) => a.distanceM - b.distanceM || (a.driverId < b.driverId ? -1 : a.driverId > b.driverId ? 1 : 0);

/**
 * Candidates around a pickup, nearest first, searched over growing rings of resolution-9 cells:
 * rings 0..k are read (k doubling from 1), and the search stops once the nearest candidate is
 * closer than anything a further ring could hold (ringLowerBoundM), so the first candidate is the
 * nearest free fresh driver overall, not merely the nearest in the first ring that had one.
 * Returns every candidate read (the caller tries them in order when a claim is lost).
 */
export async function searchCandidates(pickup: LatLng, lookup: DriversInCells, o: SearchOptions): Promise<Candidate[]> {
  const origin = matchCell(pickup);
  const maxRings = o.maxRings ?? MAX_MATCH_RINGS;
  const freshSince = o.nowMs - o.freshMs;
  let searched = -1;
  const found = new Map<string, Candidate>();
  for (let k = 1; ; k = Math.min(maxRings, k * 2)) {
    const cells = ringCells(origin, searched, k);
    for (const fix of await lookup(cells, freshSince)) {
      if (fix.atMs < freshSince || o.exclude?.has(fix.driverId)) continue;
      found.set(fix.driverId, { driverId: fix.driverId, distanceM: distanceM(pickup, fix) });
    }
    searched = k;
    const sorted = [...found.values()].sort(byDistance);
    if (k >= maxRings || (sorted.length > 0 && sorted[0].distanceM <= ringLowerBoundM(k + 1))) return sorted;
  }
}

/** Cells at grid distance in (from, to]. */
function ringCells(origin: string, from: number, to: number): string[] {
  const inner = from < 0 ? new Set<string>() : new Set(cellsWithin(origin, from));
  return cellsWithin(origin, to).filter((c) => !inner.has(c));
}

/** The reference answer, by brute force over every driver (what the matching tests compare with). */
export function bruteForceNearest(pickup: LatLng, drivers: readonly DriverFix[], o: SearchOptions): Candidate | null {
  let best: Candidate | null = null;
  for (const d of drivers) {
    if (d.atMs < o.nowMs - o.freshMs || o.exclude?.has(d.driverId)) continue;
    const c = { driverId: d.driverId, distanceM: distanceM(pickup, d) };
    if (!best || byDistance(c, best) < 0) best = c;
  }
  return best;
}
