import { signToken } from '@streamfold/auth';
import { Client } from 'pg';
import { pickupAt, seededRandom, uniformPoint } from '../../apps/taxi/src/simulator/city';
import { procSample, say, HOST_NODE_FLAGS, spawnChild, waitForLine } from '../lib/child';
import { percentile, request, sleep } from '../lib/http';
import { row } from '../lib/scenarios';
import { ownPrefix, type Context } from './context';

const SECRET = 'bench-secret-at-least-16-chars';
const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

/**
 * A keep-alive socket the server closed while idle (its 5 s keep-alive timeout) resets the next
 * request on it: send once more on a fresh socket. Only for requests that are safe to repeat
 * (positions de-duplicate by taxi and time; ride requests carry an Idempotency-Key).
 */
async function send(url: string, method: string, headers: Record<string, string>, body?: string) {
  try {
    return await request(url, method, headers, body);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ECONNRESET') throw error;
    return request(url, method, headers, body);
  }
}

/**
 * GetTaxi on the unchanged host process (fresh database and prefix):
 *   1. positions/s ingested: drivers POST batches of 100 fixes (32 in flight) for a fixed time;
 *      the rate counts fixes answered 202 (on Kafka's producer path), and the run waits until the
 *      position-history projection has stored them all, to report the stored rate too;
 *   2. match latency: POST /taxi/rides answers once matching ran (search + claim + assign), so
 *      its latency at 8 in flight over 1,000 fresh drivers is the match latency (freshness set to
 *      5 min so that a loaded machine's slow position refresh does not leave drivers stale);
 *   3. surge update latency: one request in a region with no driver moves its surge; the time
 *      from the 201 until GET /taxi/surge shows the new multiplier (relay → processor → relay →
 *      projection), over 30 regions 6 km apart.
 */
export async function runTaxi(ctx: Context): Promise<void> {
  const dbUrl = await ctx.db('sf_bench_taxi');
  // Deployed shape: an API process (HTTP, matching, telemetry producer) and a worker process
  // (relay, projections, processors), both on the same 2 cores. One process doing both made the
  // projections' per-partition transactions starve the HTTP path.
  const env = { KAFKA_BROKERS: ctx.brokers.join(','), DATABASE_URL: dbUrl, KAFKA_TOPIC_PREFIX: ownPrefix(ctx, 'taxi'), JWT_SECRET: SECRET, KAFKA_CLIENT_ID: 'bench-taxi' };
  // Freshness 5 min: the figure is the match path's latency, not how fast a loaded machine can
  // keep 1,000 drivers under the default 30 s (a refresh loop doing that competed with the requests).
  const child = spawnChild('ts', ['bench/ours/server.ts'], { nodeFlags: HOST_NODE_FLAGS, label: 'taxi api', profile: ctx.profile, env: { ...env, PROCESS_ROLES: 'api', TAXI_FRESH_MS: '300000' } });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  let workers: ReturnType<typeof spawnChild> | null = null;
  const db = new Client({ connectionString: dbUrl });
  try {
    const url = await waitForLine(child, 'READY', 'server', 180000);
    workers = spawnChild('ts', ['bench/ours/server.ts'], { nodeFlags: HOST_NODE_FLAGS, label: 'taxi worker', profile: ctx.profile, env: { ...env, PROCESS_ROLES: 'relay,projections' } });
    await waitForLine(workers, 'READY', 'worker', 180000);
    await db.connect();
    const random = seededRandom(2026);
    const drivers = Array.from({ length: 1000 }, (_, i) => ({ token: signToken(SECRET, `bench-driver-${i}`), at: uniformPoint(random) }));

    // 1. Ingest.
    const seconds = ctx.plan.quick ? 8 : 20;
    const before = procSample(child.pid!);
    const workerBefore = procSample(workers.pid!);
    let accepted = 0;
    let refused = 0;
    const t0 = Date.now();
    // One millisecond per fix (the history's key is (taxi, at)), starting an hour back: room for 3.6M
    // fixes before the API's clock-skew check (60 s ahead) refuses them (10 min ran out at 30,000/s).
    let clock = t0 - 3_600_000;
    const worker = async (w: number) => {
      for (let i = w; Date.now() - t0 < seconds * 1000; i += 32) {
        const d = drivers[i % drivers.length];
        const positions = Array.from({ length: 100 }, () => ({ lat: d.at.lat + (random() - 0.5) * 0.001, lng: d.at.lng + (random() - 0.5) * 0.001, at: new Date(++clock).toISOString() }));
        const r = await send(`${url}/taxi/drivers/me/positions`, 'POST', json(d.token), JSON.stringify({ positions }));
        if (r.status === 202) accepted += 100;
        else if (r.status === 429) (refused += 100 - JSON.parse(r.body).accepted, accepted += JSON.parse(r.body).accepted, await sleep(50));
        else throw new Error(`positions answered ${r.status}: ${r.body}`);
      }
    };
    await Promise.all(Array.from({ length: 32 }, (_, w) => worker(w)));
    const ingestSeconds = (Date.now() - t0) / 1000;
    const ingestRate = accepted / ingestSeconds;
    let stored = 0;
    for (let t = 0; t < 1200 && stored < accepted; t++) {
      stored = Number((await db.query('SELECT count(*) AS n FROM taxi_position_history')).rows[0]?.n ?? 0);
      if (stored < accepted) await sleep(250);
    }
    const storedRate = stored / ((Date.now() - t0) / 1000);
    const after = procSample(child.pid!);
    const workerAfter = procSample(workers.pid!);
    say(`  positions: ${accepted} accepted in ${ingestSeconds.toFixed(1)} s → ${Math.round(ingestRate)}/s (429 for ${refused}); all stored in the history after ${((Date.now() - t0) / 1000).toFixed(1)} s → ${Math.round(storedRate)}/s end to end`);
    ctx.rows['taxi-positions'] = row(ingestRate, null, 'positions/s', 'none', true);
    ctx.details['taxi-positions'] = { target: '', meetsTarget: null, cpuSeconds: after.cpuSeconds - before.cpuSeconds, peakRssMb: after.peakRssMb, note: `batches of 100 over HTTP to an API process, 32 in flight; stored end to end by a worker process ${Math.round(storedRate)}/s (worker CPU ${(workerAfter.cpuSeconds - workerBefore.cpuSeconds).toFixed(1)} s)`, extra: { accepted, refused, stored, storedRate } };

    // 2. Match latency: every driver fresh, the backlog folded, then requests near the day's hot spots.
    const refresh = async () => {
      const at = new Date().toISOString();
      for (let i = 0; i < drivers.length; i += 50) {
        await Promise.all(drivers.slice(i, i + 50).map((d) => send(`${url}/taxi/drivers/me/positions`, 'POST', json(d.token), JSON.stringify({ positions: [{ ...d.at, at }] }))));
      }
    };
    const now = new Date();
    await refresh();
    for (let t = 0; t < 600; t++) {
      const fresh = Number((await db.query('SELECT count(*) AS n FROM taxi_driver_locations WHERE at >= $1', [now])).rows[0]?.n ?? 0);
      if (fresh >= drivers.length) break;
      await sleep(100);
    }
    const matchMs: number[] = [];
    let assigned = 0;
    const requests = ctx.plan.quick ? 200 : 600;
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < requests) {
        const i = next++;
        const t = performance.now();
        const r = await send(`${url}/taxi/rides`, 'POST', { ...json(signToken(SECRET, `bench-rider-${i}`)), 'idempotency-key': `bench-${i}` }, JSON.stringify({ pickup: pickupAt(8, random), dropoff: uniformPoint(random) }));
        matchMs.push(performance.now() - t);
        if (r.status !== 201) throw new Error(`ride request answered ${r.status}: ${r.body}`);
        if (JSON.parse(r.body).match.status === 'assigned') assigned++;
      }
    }));
    matchMs.sort((a, b) => a - b);
    say(`  matching: ${requests} requests, ${assigned} assigned; latency p50 ${percentile(matchMs, 50).toFixed(1)} ms, p99 ${percentile(matchMs, 99).toFixed(1)} ms`);
    ctx.rows['taxi-match-p99'] = row(percentile(matchMs, 99), null, 'ms', 'none', false);
    ctx.details['taxi-match-p99'] = { target: '', meetsTarget: null, cpuSeconds: null, peakRssMb: null, note: `POST /taxi/rides over 1,000 fresh drivers (TAXI_FRESH_MS 5 min), 8 in flight; p50 ${percentile(matchMs, 50).toFixed(1)} ms; ${assigned}/${requests} assigned` };

    // 3. Surge update latency, in regions south of the city where no driver is, once every
    // projection and processor has caught up (the figure is the pipeline's, not the backlog's).
    await caughtUp(url);
    const surgeMs: number[] = [];
    for (let i = 0; i < 30; i++) {
      const at = { lat: 48.7, lng: 1.2 + i * 0.08 };
      const q = `${url}/taxi/surge?lat=${at.lat}&lng=${at.lng}`;
      const before = JSON.parse((await request(q, 'GET')).body).surge;
      const r = await send(`${url}/taxi/rides`, 'POST', { ...json(signToken(SECRET, `bench-surge-${i}`)), 'idempotency-key': `surge-${i}` }, JSON.stringify({ pickup: at, dropoff: at }));
      if (r.status !== 201) throw new Error(`ride request answered ${r.status}: ${r.body}`);
      const t = performance.now();
      for (let k = 0; k < 3000 && JSON.parse((await request(q, 'GET')).body).surge === before; k++) await sleep(10);
      surgeMs.push(performance.now() - t);
    }
    surgeMs.sort((a, b) => a - b);
    say(`  surge: 30 regions; update visible p50 ${percentile(surgeMs, 50).toFixed(0)} ms, p99 ${percentile(surgeMs, 99).toFixed(0)} ms`);
    ctx.rows['taxi-surge-p99'] = row(percentile(surgeMs, 99), null, 'ms', 'none', false);
    ctx.details['taxi-surge-p99'] = { target: '', meetsTarget: null, cpuSeconds: null, peakRssMb: null, note: `request acknowledged → new multiplier on GET /taxi/surge; p50 ${percentile(surgeMs, 50).toFixed(0)} ms` };
  } finally {
    await db.end().catch(() => undefined);
    workers?.kill('SIGTERM');
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(15000)]);
  }
}

/** Waits until every projection and processor reports no lag (admin API). */
async function caughtUp(url: string, timeoutMs = 300_000): Promise<void> {
  const admin = { authorization: `Bearer ${signToken(SECRET, 'bench-admin', { roles: ['admin'] })}` };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await request(`${url}/admin/projections`, 'GET', admin);
    if (r.status === 200 && (JSON.parse(r.body) as Array<{ totalLag: number }>).every((p) => p.totalLag === 0)) return;
    await sleep(500);
  }
  throw new Error('projections did not catch up');
}
