import { signToken } from '@streamfold/auth';
import { ValidationFailed } from '@streamfold/core';
import type { SimulationOptions, SimulationProgress, SimulatorDefinition } from '@streamfold/nestjs';
import { LatLng } from '../domain/geo';
import { along, pickupAt, route, seededRandom, uniformPoint } from './city';

interface SimDriver {
  id: string;
  token: string;
  path: LatLng[];
  travelledM: number;
  ride: { rideId: string; phase: 'to-pickup' | 'on-ride'; dropoff: LatLng } | null;
  fixes: Array<{ lat: number; lng: number; at: string; available: boolean }>;
}

/** Options beyond the common ones: fleet size, speed, seed. */
export interface TaxiSimulationOptions extends SimulationOptions {
  drivers: number;
  speedMps: number;
  seed: number;
}

/**
 * GetTaxi traffic against a running instance, in the synthetic city of city.ts: drivers cruise
 * along street routes and report a fix every second in batches of five; riders request rides at
 * `rate` per second, from hot spots that follow the hour of the day; an assigned driver drives to
 * the pickup, starts, drives the street route to the drop-off and completes. Seeded: the same
 * seed gives the same city, fleet and requests.
 */
export async function runTaxiSimulation(o: TaxiSimulationOptions): Promise<SimulationProgress> {
  const random = seededRandom(o.seed);
  const drivers: SimDriver[] = Array.from({ length: o.drivers }, (_, i) => {
    const start = uniformPoint(random);
    return { id: `sim-driver-${i}`, token: signToken(o.jwtSecret, `sim-driver-${i}`), path: route(start, uniformPoint(random)), travelledM: 0, ride: null, fixes: [] };
  });
  const byId = new Map(drivers.map((d) => [d.id, d]));
  const riders = Array.from({ length: o.users }, (_, i) => signToken(o.jwtSecret, `sim-rider-${i}`));
  const stats = { sent: 0, ok: 0, rejected: 0, failed: 0 };
  const latencies: number[] = [];
  const call = async (token: string, path: string, body?: unknown): Promise<Response | null> => {
    stats.sent++;
    const t0 = performance.now();
    try {
      const res = await fetch(`${o.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      latencies.push(performance.now() - t0);
      if (res.status < 300) stats.ok++;
      else if (res.status < 500) stats.rejected++;
      else stats.failed++;
      return res;
    } catch {
      stats.failed++;
      return null;
    }
  };

  const started = Date.now();
  const snapshot = (): SimulationProgress => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
    const elapsed = (Date.now() - started) / 1000;
    return { elapsedSeconds: elapsed, ...stats, ratePerSecond: stats.sent / Math.max(elapsed, 0.001), p50Ms: q(0.5), p99Ms: q(0.99) };
  };

  const tick = async (second: number) => {
    const now = new Date();
    const work: Array<Promise<unknown>> = [];
    for (const d of drivers) {
      d.travelledM += o.speedMps;
      const at = along(d.path, d.travelledM);
      d.fixes.push({ ...at, at: now.toISOString(), available: d.ride === null });
      if (d.travelledM >= pathLength(d.path)) work.push(arrive(d, at));
      if (d.fixes.length >= 5) {
        const batch = d.fixes.splice(0);
        work.push(call(d.token, '/taxi/drivers/me/positions', { positions: batch }));
      }
    }
    const requests = Math.floor((second + 1) * o.rate) - Math.floor(second * o.rate);
    for (let i = 0; i < requests; i++) work.push(requestRide(now.getUTCHours()));
    await Promise.all(work);
  };

  const arrive = async (d: SimDriver, at: LatLng) => {
    d.travelledM = 0;
    if (!d.ride) d.path = route(at, uniformPoint(random));
    else if (d.ride.phase === 'to-pickup') {
      await call(d.token, `/taxi/rides/${d.ride.rideId}/start`);
      d.ride.phase = 'on-ride';
      d.path = route(at, d.ride.dropoff);
    } else {
      await call(d.token, `/taxi/rides/${d.ride.rideId}/complete`);
      d.ride = null;
      d.path = route(at, uniformPoint(random));
    }
  };

  const requestRide = async (hour: number) => {
    const pickup = pickupAt(hour, random);
    const dropoff = uniformPoint(random);
    const res = await call(riders[Math.floor(random() * riders.length)], '/taxi/rides', { pickup, dropoff });
    if (!res?.ok) return;
    const answer = (await res.json()) as { rideId: string; match: { status: string; driverId?: string } };
    const driver = answer.match.driverId ? byId.get(answer.match.driverId) : undefined;
    if (driver) {
      driver.ride = { rideId: answer.rideId, phase: 'to-pickup', dropoff };
      driver.path = route(along(driver.path, driver.travelledM), pickup);
      driver.travelledM = 0;
    }
  };

  const ticker = setInterval(() => o.onProgress(snapshot()), 1000);
  try {
    for (let s = 0; s < o.durationSeconds; s++) {
      const t0 = Date.now();
      await tick(s);
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t0))));
    }
  } finally {
    clearInterval(ticker);
  }
  return snapshot();
}

function pathLength(path: LatLng[]): number {
  let m = 0;
  for (let i = 1; i < path.length; i++) m += Math.hypot((path[i].lat - path[i - 1].lat) * 111_195, (path[i].lng - path[i - 1].lng) * 111_195 * Math.cos((path[i].lat * Math.PI) / 180));
  return m;
}

/** `cli simulate taxi`: a fleet cruising the synthetic city, riders requesting at `--rate` per second. */
export const taxiSimulator: SimulatorDefinition = {
  description: 'GetTaxi: drivers reporting positions along street routes, riders requesting rides from hour-dependent hot spots',
  params: { drivers: 'simulated drivers (default 200)', speed: 'driving speed in m/s (default 12)', seed: 'random seed (default 7)' },
  defaults: { rate: 2, durationSeconds: 60, users: 500, concurrency: 64 },
  run(o) {
    const drivers = Number(o.params.drivers ?? 200);
    const speedMps = Number(o.params.speed ?? 12);
    const seed = Number(o.params.seed ?? 7);
    if (!Number.isInteger(drivers) || drivers < 1 || drivers > 20_000) throw new ValidationFailed('drivers', 'must be an integer between 1 and 20000');
    if (!(speedMps > 0 && speedMps <= 50)) throw new ValidationFailed('speed', 'must be between 0 and 50 m/s');
    if (!Number.isInteger(seed)) throw new ValidationFailed('seed', 'must be an integer');
    return runTaxiSimulation({ ...o, drivers, speedMps, seed });
  },
};
