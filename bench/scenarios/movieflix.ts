import { signToken } from '@streamfold/auth';
import { Client } from 'pg';
import { procSample, say, HOST_NODE_FLAGS, spawnChild, waitForLine } from '../lib/child';
import { percentile, request, sleep } from '../lib/http';
import { row } from '../lib/scenarios';
import { ownPrefix, type Context } from './context';

const SECRET = 'bench-secret-at-least-16-chars';
const BATCH = 100;
const CLIENTS = 16;
const VIDEOS = ['1', '2', '3', '5', '10', '32', '47', '50', '110', '150'];

/**
 * MovieFlix through the unchanged host process:
 * - heartbeats/s from HTTP batches (POST /movieflix/users/me/heartbeats) until every one is
 *   folded into the resume read model (the last heartbeat of every user visible there);
 * - latency from PlaybackFinished (the stop command) to the user's updated recommendations in the
 *   read model GET /movieflix/users/me/recommendations serves, at the simulator's pace, p50 / p99.
 */
export async function runMovieflix(ctx: Context): Promise<void> {
  const dbUrl = await ctx.db('sf_bench_movieflix');
  const child = spawnChild('ts', ['bench/ours/server.ts'], { nodeFlags: HOST_NODE_FLAGS,
    label: 'ours movieflix', profile: ctx.profile,
    env: { KAFKA_BROKERS: ctx.brokers.join(','), DATABASE_URL: dbUrl, KAFKA_TOPIC_PREFIX: ownPrefix(ctx, 'movieflix'), JWT_SECRET: SECRET, KAFKA_CLIENT_ID: 'bench-movieflix' },
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const db = new Client({ connectionString: dbUrl });
  try {
    const url = await waitForLine(child, 'READY', 'server', 180000);
    await db.connect();
    const seconds = ctx.plan.quick ? 8 : 20;
    const users = 2000;
    const tokens = Array.from({ length: users }, (_, i) => signToken(SECRET, `viewer-${i}`));
    const call = (path: string, user: number, method: string, body?: unknown) =>
      request(`${url}/movieflix/users/me${path}`, method, { authorization: `Bearer ${tokens[user]}` }, body === undefined ? undefined : JSON.stringify(body));

    // Heartbeats: each request is one viewer's batch (10 s of video apart, two devices).
    const before = procSample(child.pid!);
    const started = Date.now();
    let sent = 0;
    let errors = 0;
    let next = 0;
    const lastAt = new Map<number, number>();
    const lane = async () => {
      while (Date.now() - started < seconds * 1000) {
        const user = next++ % users;
        const t = Date.now() - 60_000 + (next % 1000);
        const heartbeats = Array.from({ length: BATCH }, (_, j) => ({ videoId: VIDEOS[user % VIDEOS.length], positionSec: j * 10, durationSec: 6000, device: j % 2 ? 'tv' : 'phone', occurredAt: new Date(t + j).toISOString() }));
        const reply = await call('/heartbeats', user, 'POST', { heartbeats });
        if (reply.status === 202) sent += BATCH;
        else errors++;
        lastAt.set(user, Math.max(lastAt.get(user) ?? 0, t + BATCH - 1));
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, lane));
    const acceptedAt = Date.now();
    // Visible: every viewer's resume row at its latest heartbeat's event time.
    const expected = [...lastAt].map(([u, t]) => [`viewer-${u}`, new Date(t).toISOString()]);
    for (;;) {
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM movieflix_resume r JOIN unnest($1::text[], $2::timestamptz[]) AS e(u, t) ON r.user_id = e.u AND r.occurred_at = e.t`,
        [expected.map((e) => e[0]), expected.map((e) => e[1])],
      );
      if (rows[0].n >= expected.length) break;
      if (Date.now() - acceptedAt > 120_000) throw new Error(`resume caught up with ${rows[0].n}/${expected.length} viewers only`);
      await sleep(50);
    }
    const visibleAt = Date.now();
    const after = procSample(child.pid!);
    const perSecond = sent / ((visibleAt - started) / 1000);
    say(`  heartbeats: ${sent} accepted in ${((acceptedAt - started) / 1000).toFixed(1)} s, all in the resume read model after ${((visibleAt - started) / 1000).toFixed(1)} s → ${Math.round(perSecond)} heartbeats/s (errors ${errors})`);
    ctx.rows['movieflix-heartbeats'] = row(perSecond, null, 'heartbeats/s', 'none', true);
    ctx.details['movieflix-heartbeats'] = {
      target: '—', meetsTarget: null, cpuSeconds: after.cpuSeconds - before.cpuSeconds, peakRssMb: after.peakRssMb,
      note: `${CLIENTS} loopback clients POST ${BATCH} heartbeats per request for ${seconds} s (${users} viewers, two devices each), timed from the first request until every viewer's last heartbeat is in movieflix_resume; server, broker, database and load generator share the machine`,
      extra: { sent, errors, acceptSeconds: (acceptedAt - started) / 1000, visibleSeconds: (visibleAt - started) / 1000 },
    };

    // PlaybackFinished → updated recommendations, one playback per viewer, at about 10 per second.
    // One watcher polls the read model for every pending viewer (polling the API per viewer
    // would load the server more than the pipeline being measured).
    const latencies: number[] = [];
    const sessions = ctx.plan.quick ? 60 : 200;
    const pending = new Map<string, { t0: number; seen: number; video: string; done: () => void; processed?: number }>();
    const processed: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        if (pending.size > 0) {
          // Where the time goes: the recommender's commit (its state row) comes before the read model's.
          const folded = await db.query(`SELECT key, state->'recent'->>0 AS latest FROM sf_processor_state WHERE processor LIKE 'movieflix.recommender@%' AND key = ANY($1)`, [[...pending.keys()]]);
          for (const r of folded.rows) {
            const p = pending.get(r.key);
            if (p && p.processed === undefined && r.latest === p.video) processed.push((p.processed = performance.now() - p.t0));
          }
          const { rows } = await db.query('SELECT user_id, stream_position FROM movieflix_recommendations WHERE user_id = ANY($1)', [[...pending.keys()]]);
          const now = performance.now();
          for (const r of rows) {
            const p = pending.get(r.user_id);
            if (p && r.stream_position > p.seen) {
              latencies.push(now - p.t0);
              pending.delete(r.user_id);
              p.done();
            }
          }
        }
        await sleep(5);
      }
    })();
    const finishOne = async (i: number) => {
      const user = i % users;
      const video = VIDEOS[(i * 7) % VIDEOS.length];
      const before = await db.query('SELECT stream_position FROM movieflix_recommendations WHERE user_id = $1', [`viewer-${user}`]);
      await call(`/playbacks/${video}/start`, user, 'POST', { device: 'tv', positionSec: 0, durationSec: 6000 });
      const visible = new Promise<void>((done) => pending.set(`viewer-${user}`, { t0: performance.now(), seen: before.rows[0]?.stream_position ?? 0, video, done }));
      const stop = await call(`/playbacks/${video}/stop`, user, 'POST', { positionSec: 5800 });
      if (stop.status !== 204) throw new Error(`stop answered ${stop.status}: ${stop.body}`);
      await Promise.race([visible, sleep(30_000).then(() => Promise.reject(new Error(`no recommendations for viewer-${user} after 30 s`)))]);
    };
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < sessions; i++) {
      inFlight.push(finishOne(i));
      await sleep(100);
    }
    await Promise.all(inFlight);
    watching = false;
    await watcher;
    latencies.sort((a, b) => a - b);
    const [p50, p99] = [percentile(latencies, 50), percentile(latencies, 99)];
    processed.sort((a, b) => a - b);
    say(`  PlaybackFinished → recommendations served: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms over ${sessions} playbacks at 10/s (folded by the recommender: p50 ${percentile(processed, 50).toFixed(0)} / p99 ${percentile(processed, 99).toFixed(0)} ms)`);
    ctx.rows['movieflix-recs-p99'] = row(p99, null, 'ms', 'none', false);
    ctx.details['movieflix-recs-p99'] = {
      target: '≤ 1000 ms', meetsTarget: p99 <= 1000, cpuSeconds: null, peakRssMb: null,
      note: `from sending the stop command (PlaybackFinished) to the new list in the recommendations read model (one watcher, 5 ms polls); p50 ${p50.toFixed(0)} ms; relay → Kafka → recommender processor (event store append) → relay → Kafka → read model`,
      extra: { latencies, recommenderFoldedMs: processed },
    };
  } finally {
    await db.end().catch(() => undefined);
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10000)]);
  }
}
