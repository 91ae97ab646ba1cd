import { signToken } from '@streamfold/auth';
import { ValidationFailed } from '@streamfold/core';
import type { SimulationOptions, SimulationProgress, SimulatorDefinition } from '@streamfold/nestjs';
import { join } from 'node:path';
import { movieflixDataDir, readMaybeGzipped } from '../catalog/catalog';
import { parseRatings, RatingRecord } from '../domain/movielens';
import { seededRandom } from '../domain/evaluation/sampling';

const DEVICES = ['tv', 'phone', 'tablet', 'web'];
/** Heartbeats are sent every 10 s of video time, like a player would. */
export const HEARTBEAT_EVERY_SEC = 10;

/** MovieLens has no runtimes: 80 to 150 minutes, fixed per video so sessions of one film agree. */
export function durationOf(videoId: string): number {
  let h = 2166136261;
  for (const ch of videoId) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return 60 * (80 + ((h >>> 0) % 71));
}

interface Session {
  user: string;
  videoId: string;
  device: string;
  durationSec: number;
  stopAtSec: number;
  rating: number;
}

/** A rating becomes a session: liked (≥ 3.5 stars) films are watched to the end, others abandoned part-way. */
export function sessionOf(r: RatingRecord, random: () => number): Session {
  const durationSec = durationOf(r.itemId);
  const share = r.rating >= 3.5 ? 1 : 0.2 + 0.6 * random();
  return { user: `ml-${r.userId}`, videoId: r.itemId, device: DEVICES[Math.floor(random() * DEVICES.length)], durationSec, stopAtSec: Math.floor(share * durationSec), rating: r.rating };
}

/**
 * Replays the vendored MovieLens ratings in timestamp order as viewing sessions against a running
 * instance: start, heartbeats every 10 s of video time (sped up, sent in batches when their event
 * time has passed), stop (finished or abandoned), rating. `concurrency` sessions play at once;
 * `rate` caps requests per second.
 */
export async function runViewingSessions(o: SimulationOptions & { speedup: number; batch: number }): Promise<SimulationProgress> {
  const random = seededRandom(7);
  const ratings = parseRatings(readMaybeGzipped(join(movieflixDataDir(), 'ratings.csv.gz')), 'csv').sort((a, b) => a.at - b.at || a.line - b.line);
  const allowed = new Set([...new Set(ratings.map((r) => r.userId))].slice(0, o.users));
  const queue = ratings.filter((r) => allowed.has(r.userId)).map((r) => sessionOf(r, random));
  const tokens = new Map<string, string>();
  const token = (user: string) => tokens.get(user) ?? tokens.set(user, signToken(o.jwtSecret, user)).get(user)!;
  const stats = { sent: 0, ok: 0, rejected: 0, failed: 0 };
  const latencies: number[] = [];
  const started = Date.now();
  const endAt = started + o.durationSeconds * 1000;
  let budget = 0;
  let budgetAt = started;

  const acquire = async () => {
    for (;;) {
      const now = Date.now();
      budget = Math.min(o.rate, budget + ((now - budgetAt) / 1000) * o.rate);
      budgetAt = now;
      if (budget >= 1) return void (budget -= 1);
      await sleep(5);
    }
  };
  const call = async (user: string, method: string, path: string, body: unknown) => {
    await acquire();
    stats.sent++;
    const t0 = performance.now();
    try {
      const res = await fetch(`${o.baseUrl}/movieflix/users/me${path}`, { method, headers: { authorization: `Bearer ${token(user)}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status < 300) stats.ok++;
      else if (res.status < 500) stats.rejected++;
      else stats.failed++;
    } catch {
      stats.failed++;
    }
    latencies.push(performance.now() - t0);
  };

  const play = async (s: Session) => {
    const t0 = Date.now();
    await call(s.user, 'POST', `/playbacks/${s.videoId}/start`, { device: s.device, positionSec: 0, durationSec: s.durationSec });
    for (let from = 0; from <= s.stopAtSec && Date.now() < endAt; from += HEARTBEAT_EVERY_SEC * o.batch) {
      const positions = Array.from({ length: o.batch }, (_, i) => from + i * HEARTBEAT_EVERY_SEC).filter((p) => p <= s.stopAtSec);
      const last = t0 + (positions[positions.length - 1] * 1000) / o.speedup;
      await sleep(Math.max(0, last - Date.now()));
      const heartbeats = positions.map((p) => ({ videoId: s.videoId, positionSec: p, durationSec: s.durationSec, device: s.device, occurredAt: new Date(t0 + (p * 1000) / o.speedup).toISOString() }));
      await call(s.user, 'POST', '/heartbeats', { heartbeats });
    }
    await call(s.user, 'POST', `/playbacks/${s.videoId}/stop`, { positionSec: s.stopAtSec });
    await call(s.user, 'PUT', `/ratings/${s.videoId}`, { rating: s.rating });
  };

  const snapshot = (): SimulationProgress => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
    const elapsed = (Date.now() - started) / 1000;
    return { elapsedSeconds: elapsed, ...stats, ratePerSecond: stats.sent / Math.max(elapsed, 0.001), p50Ms: q(0.5), p99Ms: q(0.99) };
  };
  const ticker = setInterval(() => o.onProgress(snapshot()), 1000);
  // One viewer watches one film at a time, so a user's sessions never overlap.
  const busy = new Set<string>();
  const lanes = Array.from({ length: o.concurrency }, async () => {
    while (Date.now() < endAt && queue.length > 0) {
      const i = queue.findIndex((s) => !busy.has(s.user));
      if (i < 0) {
        await sleep(10);
        continue;
      }
      const [s] = queue.splice(i, 1);
      busy.add(s.user);
      await play(s).finally(() => busy.delete(s.user));
    }
  });
  try {
    await Promise.all(lanes);
  } finally {
    clearInterval(ticker);
  }
  return snapshot();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function intParam(params: Record<string, string>, name: string, fallback: number, max: number): number {
  const n = Number(params[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ValidationFailed(name, `must be an integer between 1 and ${max}`);
  return n;
}

/** `cli simulate movieflix`: MovieLens ratings replayed as viewing sessions. */
export const viewingSessionsSimulator: SimulatorDefinition = {
  description: 'MovieLens ratings replayed as viewing sessions: start, heartbeats every 10 s of video time (sped up), stop, rating',
  params: { speedup: 'video seconds per real second (default 600)', batch: 'heartbeats per request (default 30)' },
  defaults: { rate: 200, durationSeconds: 30, users: 671, concurrency: 64 },
  run(o) {
    return runViewingSessions({ ...o, speedup: intParam(o.params, 'speedup', 600, 100_000), batch: intParam(o.params, 'batch', 30, 500) });
  },
};
