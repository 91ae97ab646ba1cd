import { cellToParent, getHexagonEdgeLengthAvg, gridDisk, latLngToCell } from 'h3-js';

/**
 * Matching resolution 9: hexagons of ~0.105 km² (edge ~200 m). A pickup's own cell and its first
 * ring hold a handful of drivers in a dense city, so the first query is cheap, and sixteen rings
 * (~4.5 km) cover a sparse suburb before giving up. Finer cells (10+) would need many more rings
 * per search; coarser ones (8) put hundreds of drivers in one cell downtown.
 */
export const MATCH_RESOLUTION = 9;

/**
 * Surge resolution 7: hexagons of ~5.2 km² (edge ~1.4 km), a neighbourhood. Small enough that a
 * stadium letting out raises prices around it and not across the city; large enough that a
 * 5-minute window holds tens of requests, so the ratio is not noise. Smoothing over the six
 * neighbours (~36 km²) softens the price cliff at a cell border.
 */
export const SURGE_RESOLUTION = 7;

/** Rings searched at most around a pickup (≈ 16 × 1.5 × 200 m ≈ 4.8 km, 817 cells). */
export const MAX_MATCH_RINGS = 16;

export interface LatLng {
  lat: number;
  lng: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres (haversine: accurate to well under a metre at city scale). */
export function distanceM(a: LatLng, b: LatLng): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export const matchCell = (p: LatLng): string => latLngToCell(p.lat, p.lng, MATCH_RESOLUTION);
export const surgeRegion = (p: LatLng): string => latLngToCell(p.lat, p.lng, SURGE_RESOLUTION);
export const regionOfCell = (cell: string): string => cellToParent(cell, SURGE_RESOLUTION);

/** Cells at grid distance ≤ k of a cell. */
export const cellsWithin = (cell: string, k: number): string[] => gridDisk(cell, k);

/**
 * A lower bound of the distance from a point in the origin cell to any point of a cell at grid
 * distance ≥ j: hexagon centres j apart are ≥ 1.5·j·edge apart (the ring's inner radius), minus
 * one circumradius (= edge) at each end. Edges vary over the globe, so 0.8 × the average is used:
 * too small a bound only searches one ring more, too large a one would miss the nearest driver.
 */
export function ringLowerBoundM(j: number, resolution = MATCH_RESOLUTION): number {
  const edge = 0.8 * getHexagonEdgeLengthAvg(resolution, 'm');
  return Math.max(0, (1.5 * j - 2) * edge);
}

export function isLatLng(p: unknown): p is LatLng {
  const q = p as LatLng;
  return typeof q?.lat === 'number' && typeof q?.lng === 'number' && Number.isFinite(q.lat) && Number.isFinite(q.lng) && Math.abs(q.lat) <= 90 && Math.abs(q.lng) <= 180;
}
