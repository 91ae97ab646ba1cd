import { LatLng } from '../domain/geo';

/** mulberry32: a tiny seeded generator, so every simulation and test replays exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A synthetic city: a 12 km × 12 km box (centre 48.8566 N, 2.3522 E) with a street grid every
 * 250 m. Hot spots pull riders depending on the hour of the day:
 *   07–10 the business district (north-east) and the station (centre);
 *   11–16 the old town (centre-west);
 *   17–20 the station and the stadium (south-east) on match evenings;
 *   21–06 the nightlife quarter (south-west).
 * Outside hot spots requests are uniform over the box.
 */
export const CITY = { south: 48.8026, north: 48.9106, west: 2.2702, east: 2.4342, blockM: 250 };

const HOT_SPOTS: Array<{ name: string; at: LatLng; hours: number[] }> = [
  { name: 'business district', at: { lat: 48.89, lng: 2.41 }, hours: [7, 8, 9, 10] },
  { name: 'station', at: { lat: 48.8566, lng: 2.3522 }, hours: [7, 8, 9, 10, 17, 18, 19, 20] },
  { name: 'old town', at: { lat: 48.86, lng: 2.31 }, hours: [11, 12, 13, 14, 15, 16] },
  { name: 'stadium', at: { lat: 48.82, lng: 2.41 }, hours: [17, 18, 19, 20] },
  { name: 'nightlife', at: { lat: 48.825, lng: 2.29 }, hours: [21, 22, 23, 0, 1, 2, 3, 4, 5, 6] },
];

export function uniformPoint(random: () => number): LatLng {
  return { lat: CITY.south + random() * (CITY.north - CITY.south), lng: CITY.west + random() * (CITY.east - CITY.west) };
}

/** A rider's pickup at the given hour: 60 % near an active hot spot (σ ≈ 600 m), else uniform. */
export function pickupAt(hour: number, random: () => number): LatLng {
  const active = HOT_SPOTS.filter((h) => h.hours.includes(hour));
  if (active.length === 0 || random() >= 0.6) return uniformPoint(random);
  const spot = active[Math.floor(random() * active.length)].at;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return clamp({ lat: spot.lat + gauss() * 0.0054, lng: spot.lng + gauss() * 0.0082 });
}

function clamp(p: LatLng): LatLng {
  return { lat: Math.min(CITY.north, Math.max(CITY.south, p.lat)), lng: Math.min(CITY.east, Math.max(CITY.west, p.lng)) };
}

const M_PER_DEG_LAT = 111_195;
const mPerDegLng = (lat: number) => M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180);

/** A street route: east–west first, then north–south, along the 250 m grid (an L with a jog). */
export function route(from: LatLng, to: LatLng): LatLng[] {
  const midLng = to.lng;
  const jogLat = from.lat + (to.lat - from.lat) / 2;
  return [from, { lat: from.lat, lng: (from.lng + midLng) / 2 }, { lat: jogLat, lng: (from.lng + midLng) / 2 }, { lat: jogLat, lng: midLng }, to];
}

/** Where a vehicle is after travelling `metres` along a route (the end once past it). */
export function along(path: readonly LatLng[], metres: number): LatLng {
  let left = metres;
  for (let i = 1; i < path.length; i++) {
    const a = path[i - 1];
    const b = path[i];
    const dy = (b.lat - a.lat) * M_PER_DEG_LAT;
    const dx = (b.lng - a.lng) * mPerDegLng(a.lat);
    const seg = Math.hypot(dx, dy);
    if (left <= seg) return seg === 0 ? b : { lat: a.lat + ((b.lat - a.lat) * left) / seg, lng: a.lng + ((b.lng - a.lng) * left) / seg };
    left -= seg;
  }
  return path[path.length - 1];
}
